// What tfjs-backend-webgpu 4.22 needs around it wherever it runs (the page's worker through src/runtime/tf-browser.ts,
// Node on Dawn through src/runtime/node-webgpu.ts): a workaround for one invalid pipeline, and a record of the
// device errors WebGPU reports only as events.
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './wrap-kernel';

// tfjs-backend-webgpu 4.22 runs AddN as one shader that binds every input as a storage buffer. tfjs asks the
// device for no more than WebGPU's default 8 storage buffers per stage, so AddN of more than 7 tensors is an
// invalid pipeline on every GPU; the gradient clip norm sums one term per trainable tensor (10 for the smallest LoRA
// run), and the dropped command batch left the parameters wrong by 6e-3 to 2e-2 after two clipped steps (issue #4).
// Concat already splits its inputs at that limit (tensorflow/tfjs#6532); AddN is given the same treatment here:
// a tree of sums of at most limit − 1 inputs each. Same additions, in groups.
export function splitWebGpuAddN(): void {
  type Info = tf.TensorInfo;
  wrapKernel('AddN', 'webgpu', 'splitAddN', (kernelFunc) => (args) => {
    const inputs = args.inputs as unknown as Info[];
    const backend = args.backend as unknown as { device: GPUDevice; disposeData(id: object): void };
    const most = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= most) return kernelFunc(args);
    const partial: Info[] = [];
    let terms = inputs;
    while (terms.length > most) {
      const next: Info[] = [];
      for (let i = 0; i < terms.length; i += most) {
        const group = terms.slice(i, i + most);
        if (group.length === 1) next.push(group[0]);
        else {
          const sum = kernelFunc({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as Info;
          partial.push(sum);
          next.push(sum);
        }
      }
      terms = next;
    }
    const out = kernelFunc({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap });
    partial.forEach((t) => backend.disposeData(t.dataId));
    return out;
  });
}

// WebGPU reports a shader that fails to compile, or a lost device, only as an event: tfjs never throws, the
// queue drops the whole batch of commands that used the bad pipeline, and reads return zeros or stale buffers
// (issue #4: tensorflow/tfjs#8638 made mean pooling read back wrong by ~2 with no error anywhere). So the
// device's errors are logged and kept here; tests assert there are none.
const webGpuErrors: string[] = [];
const watched = new WeakSet<object>();

export function watchWebGpu(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device || watched.has(device)) return;
  watched.add(device);
  const record = (message: string) => {
    webGpuErrors.push(message);
    console.error(`WebGPU: ${message}`);
  };
  device.addEventListener('uncapturederror', (e) => record((e as GPUUncapturedErrorEvent).error.message));
  void device.lost.then((info) => record(`device lost (${info.reason}): ${info.message}`));
}

/** The WebGPU errors seen since the last call (validation errors, device loss), oldest first. */
export function takeWebGpuErrors(): string[] {
  return webGpuErrors.splice(0);
}
