// Our own WGSL compute shaders, run on tfjs-backend-webgpu's command queue (src/train/adamw-webgpu.ts is the user).
//
// tfjs's extension point (backend.runWebGPUProgram) writes one output and binds every input read-only, so a kernel
// that updates a parameter and its two Adam moments would need three dispatches. Here the shader is ours, so are its
// access modes: any input may be `read_write` and is updated in place. The pipeline is compiled here (its layout
// derived from the shader) and handed to the backend's own recordAndSubmit, which makes the uniform buffer and the
// bind group, marks the buffers as in use by the queue (so none is freed or reused under a pending dispatch), counts
// the dispatch, and submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE like any tfjs kernel. recordAndSubmit is private
// in tfjs's typings; webGpuKernels() checks it exists (tfjs 4.22) and says null otherwise.
//
// Every tensor is bound as a flat array of f32, or of vec4<f32> where the spec asks (shape [size] either way):
// recordAndSubmit writes, for each input and then the output, its shape and strides as one i32 each (a rank-1 tensor
// has no strides; tfjs writes a 1 in their place), after NAN and INFINITY, and then the kernel's own uniforms.
// `uniformStruct` spells that layout out for the shader.
import * as tf from '@tensorflow/tfjs';

export type Access = 'read' | 'read_write';

interface QueueBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { values: unknown; dtype?: tf.DataType } | undefined };
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder;
  commandQueueOwnedIds: WeakSet<object>;
  recordAndSubmit(program: object, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms?: { type: string; data: number[] }[]): void;
}

export interface KernelSpec {
  /** Names the pipeline in the cache and in WebGPU's error messages. */
  name: string;
  /** Bindings 1…n, in order; binding 0 is the output `result` (read_write). Every one must be used by the shader:
   * the layout is derived from it, and an unused binding would make the bind group invalid. `vec4` binds the tensor
   * as array<vec4<f32>> (one 16-byte load per four floats): only for tensors whose size is a multiple of 4, or the
   * last floats are out of reach (src/runtime/webgpu-matmul.ts chooses it per product). */
  inputs: { name: string; access: Access; vec4?: boolean }[];
  /** `result` as array<vec4<f32>> (see `vec4` above). */
  resultVec4?: boolean;
  /** The kernel's own uniforms, after tfjs's: `name: f32` or `name: i32`, read as `u.name`. */
  uniforms: { name: string; type: 'f32' | 'i32' }[];
  workgroupSize: number;
  /** WGSL after the declarations: must define `@compute @workgroup_size(workgroupSize) fn main(...)`. The first
   * invocation's flat index is `flatIndex(wg, nwg, li)`. */
  body: string;
}

/** An explicit workgroup grid, for kernels that read their position from workgroup_id in 2 or 3 dimensions (the
 * tiled matmul: column tile, row tile, batch) rather than from one flat index. */
export interface Grid {
  workgroups: [number, number, number];
}

export interface Uniform {
  type: 'float32' | 'int32';
  data: number[];
}

// Passed to recordAndSubmit as `program`: it reads pipeline, dispatch, pixelsOpType and size. tf.time and
// tf.profile name each timed dispatch by its program's class name, so each spec gets a subclass named after it
// (programClass): a kernel profile then says 'tabtune-product-nt', not one name for every kernel of ours.
class OwnWgslProgram {
  readonly size = false;
  readonly pixelsOpType = undefined;
  constructor(
    readonly shaderKey: string,
    readonly pipeline: GPUComputePipeline,
    readonly dispatch: [number, number, number],
  ) {}
}

const programClasses = new Map<string, typeof OwnWgslProgram>();

function programClass(name: string): typeof OwnWgslProgram {
  let cls = programClasses.get(name);
  if (!cls) {
    // A computed key names the class expression after the spec.
    cls = { [name]: class extends OwnWgslProgram {} }[name];
    programClasses.set(name, cls);
  }
  return cls;
}

export interface WebGpuKernels {
  device: GPUDevice;
  /** A new float32 tensor's TensorInfo with a GPU buffer (contents undefined until a kernel writes it). */
  allocate(size: number): tf.TensorInfo;
  /** Drops tfjs's CPU copy of a tensor's values (tfjs keeps what it read back and answers later reads from it), so
   * the next read sees what kernels wrote in place since. Call it after a read of a tensor that kernels update in
   * place: a read still under way when a kernel wrote keeps the values from before. */
  forgetReadValues(t: tf.TensorInfo): void;
  /** The dtype of the buffer behind a tensor, which can differ from the tensor's own: tfjs-webgpu casts int32 to
   * float32 as a view of the same int32 buffer (its Cast kernel), which tfjs's shaders read through converting
   * getters and an own kernel, binding array<f32>, would read as float bit patterns. */
  storedDtype(t: tf.TensorInfo): tf.DataType | undefined;
  /** Records one dispatch of `spec` over `invocations` invocations (in workgroups of spec.workgroupSize, spread
   * over x and y as dispatchFor says), or over an explicit grid of workgroups. */
  run(spec: KernelSpec, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms: Uniform[], invocations: number | Grid): void;
  /** Records buffer-to-buffer copies (offsets and sizes in floats) on tfjs's command encoder, in order with the
   * dispatches around them. A copy is not a dispatch: no pipeline, bind group or uniform buffer to encode. The
   * destination's values read back earlier are dropped, as run() does for what a kernel writes. */
  copy(copies: BufferCopy[]): void;
}

export interface BufferCopy {
  src: tf.TensorInfo;
  srcOffset: number;
  dst: tf.TensorInfo;
  dstOffset: number;
  size: number;
}

/** Copy commands recorded (tests and benches count them beside dispatches). */
export const bufferCopyStats = { copies: 0 };

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The current backend's queue for own kernels, or null when the backend is not tfjs's WebGPU (4.22 internals). */
export function webGpuKernels(): WebGpuKernels | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as Partial<QueueBackend>;
  if (!backend.device || !backend.tensorMap || typeof backend.recordAndSubmit !== 'function' || typeof backend.uploadToGPU !== 'function' || typeof backend.makeTensorInfo !== 'function' || typeof backend.ensureCommandEncoderReady !== 'function' || typeof backend.endComputePassEncoder !== 'function' || !backend.commandQueueOwnedIds) {
    return null;
  }
  const b = backend as QueueBackend;
  const device = b.device;
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  const known = cache;
  return {
    device,
    allocate(size) {
      const info = b.makeTensorInfo([size], 'float32');
      b.uploadToGPU(info.dataId);
      return info;
    },
    forgetReadValues(t) {
      forget(b, t.dataId);
    },
    storedDtype(t) {
      return b.tensorMap.get(t.dataId)?.dtype;
    },
    run(spec, output, inputs, uniforms, invocations) {
      if (inputs.length !== spec.inputs.length) throw new Error(`${spec.name}: ${inputs.length} inputs for ${spec.inputs.length} bindings.`);
      let pipeline = known.get(spec.name);
      if (!pipeline) {
        const module = device.createShaderModule({ code: shaderSource(spec), label: spec.name });
        pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: spec.name });
        known.set(spec.name, pipeline);
      }
      // A tensor made from host data, or by a kernel tfjs ran on the CPU, may have no GPU buffer yet.
      for (const t of [output, ...inputs]) b.uploadToGPU(t.dataId);
      // tfjs keeps the values it last read back and answers later reads from them: drop them where this writes.
      inputs.forEach((t, i) => spec.inputs[i].access === 'read_write' && forget(b, t.dataId));
      const flat = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, dtype: t.dtype, shape: [tf.util.sizeFromShape(t.shape)] });
      const dispatch = typeof invocations === 'number' ? dispatchFor(device, invocations, spec.workgroupSize) : gridFor(device, invocations);
      b.recordAndSubmit(new (programClass(spec.name))(spec.name, pipeline, dispatch), flat(output), inputs.map(flat), uniforms);
    },
    copy(copies) {
      if (!copies.length) return;
      // tfjs-webgpu's own copies (copyBuffer, readToGPU) take the same steps: a copy goes between compute passes.
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      for (const c of copies) {
        if (c.size === 0) continue;
        b.uploadToGPU(c.src.dataId);
        b.uploadToGPU(c.dst.dataId);
        const src = (b.tensorMap.get(c.src.dataId) as { resource?: unknown } | undefined)?.resource;
        const dst = (b.tensorMap.get(c.dst.dataId) as { resource?: unknown } | undefined)?.resource;
        if (!src || !dst || !('size' in (src as object)) || !('size' in (dst as object))) throw new Error('copy: a tensor without a GPU buffer.');
        // Held by the queue: a tensor disposed before the commands are submitted keeps its buffer until then.
        b.commandQueueOwnedIds.add(c.src.dataId);
        b.commandQueueOwnedIds.add(c.dst.dataId);
        forget(b, c.dst.dataId);
        b.commandEncoder.copyBufferToBuffer(src as GPUBuffer, c.srcOffset * 4, dst as GPUBuffer, c.dstOffset * 4, c.size * 4);
        bufferCopyStats.copies++;
      }
    },
  };
}

function forget(b: QueueBackend, dataId: object): void {
  const data = b.tensorMap.get(dataId);
  // A tensor with no GPU buffer yet holds its only copy in `values`; uploadToGPU has made one by now in run().
  if (data && (data as { resource?: unknown }).resource) data.values = null;
}

/** Workgroups for `invocations`, spread over x and y when x alone would pass the device's per-dimension limit. */
function dispatchFor(device: GPUDevice, invocations: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  const most = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= most) return [groups, 1, 1];
  const x = Math.ceil(Math.sqrt(groups));
  if (x > most) throw new Error(`${invocations} invocations need more workgroups than this device dispatches.`);
  return [x, Math.ceil(groups / x), 1];
}

function gridFor(device: GPUDevice, grid: Grid): [number, number, number] {
  const most = device.limits.maxComputeWorkgroupsPerDimension;
  if (grid.workgroups.some((n) => !Number.isInteger(n) || n < 1 || n > most)) throw new Error(`workgroup grid ${grid.workgroups.join('×')} is outside 1…${most} per dimension.`);
  return [...grid.workgroups];
}

function shaderSource(spec: KernelSpec): string {
  const shapeFields = [...spec.inputs.map((x) => x.name), 'out'].map((n) => `${n}Shape: i32, ${n}Strides: i32,`).join(' ');
  const own = spec.uniforms.map((x) => `${x.name}: ${x.type},`).join(' ');
  return `
struct Uniforms { NAN: f32, INFINITY: f32, ${shapeFields} ${own} };
@group(0) @binding(0) var<storage, read_write> result: array<${spec.resultVec4 ? 'vec4<f32>' : 'f32'}>;
${spec.inputs.map((x, i) => `@group(0) @binding(${i + 1}) var<storage, ${x.access}> ${x.name}: array<${x.vec4 ? 'vec4<f32>' : 'f32'}>;`).join('\n')}
@group(0) @binding(${spec.inputs.length + 1}) var<uniform> u: Uniforms;

fn flatIndex(wg: vec3<u32>, nwg: vec3<u32>, li: u32) -> i32 {
  return i32((wg.y * nwg.x + wg.x) * ${spec.workgroupSize}u + li);
}
${spec.body}
`;
}
