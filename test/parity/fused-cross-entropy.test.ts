// The fused cross-entropy kernel (src/model/fused/cross-entropy-webgpu.ts) on WebGPU in Node on Dawn (SwiftShader
// here): loss and logits' gradient against loop.ts's crossEntropy as tfjs ops on the same backend and against a
// float64 reference computed here, central differences, one dispatch each way, no leak, no device error.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { useBackend } from '../../src/runtime/tf-node';
import { setFusedKernels } from '../../src/runtime/fused-switch';
import { fusedCrossEntropy } from '../../src/model/fused/cross-entropy-webgpu';
import { crossEntropy } from '../../src/train/loop';
import { dispatches } from '../helpers/webgpu-dispatches';

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  setFusedKernels(true);
  await expectNoWebGpuErrors();
});

/** The loss and its gradient in float64: −mean log softmax(z)[label], (softmax − onehot)/B. */
function reference(z: number[][], labels: number[]) {
  let loss = 0;
  const grad = z.map((row, i) => {
    const m = Math.max(...row);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m;
    loss -= row[labels[i]] - lse;
    return row.map((v, c) => (Math.exp(v - lse) - (c === labels[i] ? 1 : 0)) / z.length);
  });
  return { loss: loss / z.length, grad: grad.flat() };
}

describe('fused cross-entropy on WebGPU', () => {
  // 70 rows: more than one workgroup's 64, so the loss kernel's rows-per-invocation loop is exercised.
  for (const [rows, classes] of [[5, 4], [70, 3], [16, 2]] as const) {
    it(`${rows} × ${classes}: loss and gradient equal the tfjs ops and float64 (1e-6), 1 dispatch each way`, async () => {
      const z = Array.from({ length: rows }, (_, i) => Array.from({ length: classes }, (_, c) => Math.sin(i * 3.1 + c * 1.7) * (4 + (i % 3) * 10)));
      const lab = Array.from({ length: rows }, (_, i) => (i * 7) % classes);
      const logits = tf.tensor2d(z);
      const labels = tf.tensor1d(lab, 'int32');
      const want = reference(z, lab);
      const lossAndGrad = () => tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, labels, classes))(logits);

      const before = tf.memory().numTensors;
      let fwd = 0;
      let both = 0;
      const fused = (() => {
        fwd = dispatches(() => tf.dispose(fusedCrossEntropy(logits, labels)));
        let out!: { value: tf.Scalar; grad: tf.Tensor };
        both = dispatches(() => (out = lossAndGrad()));
        return out;
      })();
      setFusedKernels(false);
      const ops = lossAndGrad();
      setFusedKernels(true);
      const [fl, fg, ol, og] = await Promise.all([fused.value.data(), fused.grad.data(), ops.value.data(), ops.grad.data()]);
      const gradDiff = Math.max(...Array.from(fg, (v, i) => Math.abs(v - want.grad[i])));
      const opsDiff = Math.max(...Array.from(fg, (v, i) => Math.abs(v - og[i])));
      console.log(`${rows}×${classes}: loss ${fl[0]} (float64 ${want.loss}, ops ${ol[0]}); gradient max diff ${gradDiff.toExponential(2)} vs float64, ${opsDiff.toExponential(2)} vs ops`);
      expect(Math.abs(fl[0] - want.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, want.loss));
      expect(Math.abs(fl[0] - ol[0])).toBeLessThanOrEqual(1e-6 * Math.max(1, want.loss));
      expect(gradDiff).toBeLessThanOrEqual(1e-6);
      expect(opsDiff).toBeLessThanOrEqual(1e-6);
      expect(fwd).toBe(1);
      // valueAndGrad: the loss, then the gradient kernel (tfjs makes the scalar dy of 1 on the host).
      expect(both).toBe(2);
      tf.dispose([fused.value, fused.grad, ops.value, ops.grad]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([logits, labels]);
    });
  }

  it('the gradient equals central differences of the fused loss', async () => {
    const z = [[0.3, -1.2, 2.0], [1.1, 0.4, -0.7], [-2.2, 0.9, 0.1]];
    const lab = [2, 0, 1];
    const labels = tf.tensor1d(lab, 'int32');
    const g = tf.grad((l: tf.Tensor) => fusedCrossEntropy(l as tf.Tensor2D, labels))(tf.tensor2d(z));
    const got = await g.data();
    const eps = 1e-2;
    for (const [i, c] of [[0, 0], [1, 2], [2, 1]]) {
      const at = async (d: number) => {
        const zz = z.map((r) => [...r]);
        zz[i][c] += d;
        const t = fusedCrossEntropy(tf.tensor2d(zz), labels);
        return (await t.data())[0];
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      expect(Math.abs(fd - got[i * 3 + c])).toBeLessThanOrEqual(2e-3);
    }
    tf.dispose([g, labels]);
  });
});
