// How one store's records become parts of the backup zip and back: a JSON-lines part per store, and every byte
// payload inside a record (ArrayBuffer or typed array, at any depth) as a file of its own, named on the record's
// line by a JSON pointer. Bytes stay bytes (no base64), so an adapter in the zip is a .safetensors file a person can
// open, and each part can be checked against the manifest's length and SHA-256 before anything is written.
import { strFromU8, strToU8 } from 'fflate';
import { sha256Hex } from '../util/sha256';

/** One binary part as the manifest lists it: a truncated or swapped file is refused by these. */
export interface PartCheck {
  bytes: number;
  sha256: string;
}

/** Where a byte payload of a record went: its file in the zip, and the type to rebuild. */
export interface FileRef {
  file: string;
  type: BinaryType;
}

/** A record's line in its part: the record with each byte payload set to null, and `$files` saying where they went. */
export const FILES_KEY = '$files';

const VIEWS = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
} as const;
type BinaryType = 'ArrayBuffer' | keyof typeof VIEWS;

/** A line of a JSON-lines part with its 1-based line number, so an error can point at it. */
export interface Line<T = Record<string, unknown>> {
  part: string;
  line: number;
  value: T;
}

/** Where a line came from, as an error message says it. */
export const at = (l: { part: string; line: number }) => `${l.part} line ${l.line}`;

// JSON has no NaN, Infinity or -0 (stringify writes null or 0); a loss that diverged must come back as it was.
const NUMBER_KEY = '$number';
function replacer(_key: string, v: unknown) {
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [NUMBER_KEY]: Object.is(v, -0) ? '-0' : String(v) };
  return v;
}
function reviver(_key: string, v: unknown) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const n = (v as Record<string, unknown>)[NUMBER_KEY];
    if (typeof n === 'string' && Object.keys(v).length === 1) return Number(n);
  }
  return v;
}

export const jsonl = (rows: unknown[]) => strToU8(rows.map((r) => JSON.stringify(r, replacer)).join('\n'));

/** A part's lines, each one JSON object; a line that is not is refused with the part's name and the line. */
export function parseJsonl<T = Record<string, unknown>>(part: string, bytes: Uint8Array | undefined): Line<T>[] {
  if (!bytes) return [];
  const out: Line<T>[] = [];
  strFromU8(bytes)
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      let value: unknown;
      try {
        // The reviver costs a walk of every value: only lines that carry an encoded number need it.
        value = JSON.parse(text, text.includes(NUMBER_KEY) ? reviver : undefined);
      } catch (e) {
        throw new Error(`${part} line ${i + 1} is not valid JSON (${(e as Error).message}).`);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${part} line ${i + 1} is not a JSON object.`);
      out.push({ part, line: i + 1, value: value as T });
    });
  return out;
}

const isBinary = (v: unknown): v is ArrayBuffer | ArrayBufferView => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const bytesOf = (v: ArrayBuffer | ArrayBufferView) => (v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
const pointerSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unpointerSegment = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** safetensors starts with an 8-byte little-endian header length, then the JSON header. */
function looksLikeSafetensors(b: Uint8Array): boolean {
  if (b.length < 10) return false;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && 8n + n <= BigInt(b.length) && b[8] === 0x7b;
}

/**
 * Moves every byte payload of `record` into `files`, under `base` + its JSON pointer, and returns the record as
 * its line holds it (payloads null, `$files` naming them). A record without bytes comes back as it was.
 */
export function splitBinary(record: unknown, base: string, files: Record<string, Uint8Array>): unknown {
  const refs: Record<string, FileRef> = {};
  const walk = (v: unknown, pointer: string): unknown => {
    if (isBinary(v)) {
      const bytes = bytesOf(v);
      const file = `${base}${pointer.split('/').map(encodeURIComponent).join('/')}${looksLikeSafetensors(bytes) ? '.safetensors' : '.bin'}`;
      // Keys that print alike (10 and '10') would share a file name: refuse rather than back up the wrong bytes.
      if (file in files) throw new Error(`Two byte payloads would both be saved as ${file}; the backup was not made.`);
      files[file] = bytes;
      refs[pointer] = { file, type: v instanceof ArrayBuffer ? 'ArrayBuffer' : (v.constructor.name as BinaryType) };
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${pointer}/${i}`));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${pointer}/${pointerSegment(k)}`)]));
    }
    return v;
  };
  const out = walk(record, '') as Record<string, unknown>;
  return Object.keys(refs).length ? { ...out, [FILES_KEY]: refs } : record;
}

/** The bytes of a part, or an error naming it and the line that asked for it. */
export function takePart(files: Record<string, Uint8Array>, file: string, from: { part: string; line: number }): Uint8Array {
  const b = files[file];
  if (!b) throw new Error(`${at(from)} refers to ${file}, which is missing from the archive.`);
  return b;
}

/** The record a line holds, with each payload `$files` names read back from its part. */
export function joinBinary(l: Line, files: Record<string, Uint8Array>): Record<string, unknown> {
  const { [FILES_KEY]: refs, ...record } = l.value as Record<string, unknown> & { [FILES_KEY]?: Record<string, FileRef> };
  if (refs === undefined) return l.value;
  if (!refs || typeof refs !== 'object') throw new Error(`${at(l)}: ${FILES_KEY} is not an object.`);
  for (const [pointer, ref] of Object.entries(refs)) {
    const path = pointer.split('/').slice(1).map(unpointerSegment);
    const field = path.pop();
    let parent: unknown = record;
    for (const k of path) parent = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[k] : undefined;
    if (field === undefined || !parent || typeof parent !== 'object') throw new Error(`${at(l)}: ${FILES_KEY} names ${pointer || '(the whole record)'}, which is not a field of the record.`);
    const bytes = takePart(files, ref?.file, l);
    // A copy of exactly the part's bytes: the unzipped part is a view into a larger buffer.
    const buffer = bytes.slice().buffer;
    let value: unknown;
    if (ref.type === 'ArrayBuffer') value = buffer;
    else if (Object.hasOwn(VIEWS, ref.type)) value = new (VIEWS[ref.type] as new (b: ArrayBuffer) => ArrayBufferView)(buffer);
    else throw new Error(`${at(l)}: ${ref.file} has an unknown type "${ref.type}".`);
    (parent as Record<string, unknown>)[field] = value;
  }
  return record;
}

/** The manifest's entry for each binary part. */
export async function checksOf(files: Record<string, Uint8Array>, names: string[]): Promise<Record<string, PartCheck>> {
  const out: Record<string, PartCheck> = {};
  for (const name of names) out[name] = { bytes: files[name].length, sha256: await sha256Hex(files[name]) };
  return out;
}

/** Refuses the archive at the first binary part that is missing, or differs from what the manifest recorded. */
export async function verifyParts(files: Record<string, Uint8Array>, checks: Record<string, PartCheck>): Promise<void> {
  for (const [name, want] of Object.entries(checks)) {
    const b = files[name];
    if (!b) throw new Error(`${name} is listed in manifest.json but missing from the archive.`);
    if (b.length !== want.bytes) throw new Error(`${name} is ${b.length} bytes; manifest.json recorded ${want.bytes}: the file is damaged or truncated.`);
    if ((await sha256Hex(b)) !== want.sha256) throw new Error(`${name} does not match the SHA-256 manifest.json recorded: the file is damaged.`);
  }
}
