// recordAndSubmit calls of tfjs's WebGPU backend (the bench's dispatch count) while f runs, for the fused-kernel tests.
import * as tf from '@tensorflow/tfjs';

export function dispatches(f: () => void): number {
  const backend = tf.backend() as unknown as { recordAndSubmit: (...a: unknown[]) => unknown };
  const orig = backend.recordAndSubmit;
  let n = 0;
  backend.recordAndSubmit = function (this: unknown, ...a: unknown[]) {
    n++;
    return orig.apply(this, a);
  };
  try {
    f();
  } finally {
    backend.recordAndSubmit = orig;
  }
  return n;
}
