// One way to put a wrapper around a kernel tfjs has registered (the wasm matmul fixes, the WebGPU AddN split):
// the wrapper is registered in the kernel's place with a mark, so a second call leaves it as it is, and the marks of
// earlier wrappers stay on the config.
import * as tf from '@tensorflow/tfjs';

/** Wraps `name` on `backend` once; false when that kernel is not registered or already carries `mark`. */
export function wrapKernel(name: string, backend: string, mark: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): boolean {
  const config = tf.getKernel(name, backend);
  if (!config || (config as unknown as Record<string, unknown>)[mark]) return false;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...config, [mark]: true, kernelFunc: wrap(config.kernelFunc) } as tf.KernelConfig);
  return true;
}
