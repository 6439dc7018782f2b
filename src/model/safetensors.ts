// The safetensors format by hand (it is small): 8-byte little-endian header length, a JSON header mapping names
// to {dtype, shape, data_offsets}, then raw little-endian data. F32, F16 and BF16 are read to float32.

export interface NamedTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Record<string, NamedTensor>;

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export class SafetensorsError extends Error {}

export function readSafetensors(bytes: Uint8Array, file = 'model.safetensors'): { tensors: TensorMap; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) throw new SafetensorsError(`${file}: file is ${bytes.byteLength} bytes, too short for a safetensors header.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) throw new SafetensorsError(`${file}: header claims ${headerLen} bytes but the file has only ${bytes.byteLength - 8} after the length.`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`${file}: the header is not valid JSON (${(e as Error).message}).`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`${file}: the header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}.`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const tensors: TensorMap = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(data_offsets)) {
      throw new SafetensorsError(`${file}: tensor "${name}" needs an integer "shape" list and "data_offsets" [begin, end] (got ${JSON.stringify(entry)}).`);
    }
    const width = BYTES[dtype];
    if (!width) throw new SafetensorsError(`${file}: tensor "${name}" has dtype ${dtype}; supported: ${Object.keys(BYTES).join(', ')}.`);
    const [begin, end] = data_offsets ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= dataLen && end - begin === count * width)) {
      throw new SafetensorsError(`${file}: tensor "${name}" has data offsets [${begin}, ${end}] that do not fit its shape [${shape}] (${dtype}) or the file (${dataLen} data bytes).`);
    }
    tensors[name] = { dtype, shape, data: decode(bytes, dataStart + begin, count, dtype) };
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, offset: number, count: number, dtype: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES[dtype]);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      break;
    }
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    default:
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** float32 → IEEE half bits, rounding to nearest with ties to even (as torch's `.half()` does). */
export function floatToHalf(f: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f, true);
  const x = buf.getUint32(0, true);
  const sign = (x >>> 16) & 0x8000;
  const e32 = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (e32 === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const exp = e32 - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  // Below half the smallest subnormal (2^-25) everything rounds to zero.
  if (exp < -10) return sign;
  // Normal halves keep 10 of the 23 mantissa bits; subnormal ones shift the implicit 1 in and drop more.
  const [kept, shift] = exp > 0 ? [(exp << 10) | (mant >> 13), 13] : [(mant | 0x800000) >> (14 - exp), 14 - exp];
  const rest = exp > 0 ? mant & 0x1fff : (mant | 0x800000) & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (rest > half || (rest === half && kept & 1) ? kept + 1 : kept);
}

/** Writes float32 tensors (or F16/BF16 when asked) as safetensors, names in sorted order like the reference writer. */
export function writeSafetensors(
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
  dtype: 'F32' | 'F16' | 'BF16' = 'F32',
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const width = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    const count = tensors[n].shape.reduce((a, b) => a * b, 1);
    if (count !== tensors[n].data.length) throw new SafetensorsError(`tensor "${n}": shape [${tensors[n].shape}] needs ${count} values, got ${tensors[n].data.length}.`);
    header[n] = { dtype, shape: tensors[n].shape, data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference implementation does.
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const n of names) {
    const d = tensors[n].data;
    for (let i = 0; i < d.length; i++, pos += width) {
      if (dtype === 'F32') view.setFloat32(pos, d[i], true);
      else if (dtype === 'F16') view.setUint16(pos, floatToHalf(d[i]), true);
      else {
        const tmp = new DataView(new ArrayBuffer(4));
        tmp.setFloat32(0, d[i], true);
        // Round to nearest even on the dropped 16 bits.
        const bits = tmp.getUint32(0, true);
        const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
        view.setUint16(pos, rounded & 0xffff, true);
      }
    }
  }
  return out;
}

/** [rows, cols] row-major → [cols, rows]: PyTorch's Linear layout [out, in] to tfjs's kernel layout [in, out] and back. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
