// The hand-written gradients of layerNorm and gelu (src/model/encoder.ts), checked two ways on cpu and wasm:
// against central finite differences of the forward pass, and against tfjs's own autodiff of the composite
// formulas they replace (kept here only, as the reference).
import { afterAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { gelu, layerNorm } from '../../src/model/encoder';
import { seeded } from '../helpers/seeded';

type T = tf.Tensor;

/** What encoder.ts computed before its custom gradients, differentiated by tfjs's tape. */
function layerNormComposite(x: T, gamma: T, beta: T, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}
function geluComposite(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}

const ROWS = 3;
const H = 5;
// A fixed, uneven upstream gradient: with dy ≡ 1 the LayerNorm dx would be zero whatever the formula.
const W_LN = seeded(ROWS * H, 7, 1);
const W_GELU = seeded(4 * 6, 8, 1);

/** L = Σ w ⊙ layerNorm(x; γ, β) and its gradients with respect to x, γ, β. */
function lnLoss(f: typeof layerNormComposite, eps: number) {
  return (x: T, gamma: T, beta: T) => tf.sum(tf.mul(tf.tensor2d(W_LN, [ROWS, H]), f(x, gamma, beta, eps)));
}
const lnCustom = (x: T, gamma: T, beta: T, eps: number) => layerNorm(x as tf.Tensor2D, { gamma, beta }, eps);
const geluLoss = (f: (x: T) => T) => (x: T) => tf.sum(tf.mul(tf.tensor2d(W_GELU, [4, 6]), f(x)));
const geluCustom = (x: T) => gelu(x as tf.Tensor2D);

/** ∂L/∂inputs[k] by central differences of the (float32) forward pass, one element at a time. */
function centralDiff(loss: (...xs: T[]) => T, inputs: Float32Array[], shapes: number[][], h: number): Float32Array[] {
  const at = (k: number, i: number, delta: number) => tf.tidy(() => {
    const args = inputs.map((d, j) => {
      const c = d.slice();
      if (j === k) c[i] += delta;
      return tf.tensor(c, shapes[j]);
    });
    return loss(...args).dataSync()[0];
  });
  return inputs.map((d, k) => Float32Array.from(d, (_, i) => (at(k, i, h) - at(k, i, -h)) / (2 * h)));
}

/** Largest |got − want| / (abs + rel·|want|): below 1 passes. */
function worst(got: ArrayLike<number>, want: ArrayLike<number>, abs: number, rel: number): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (abs + rel * Math.abs(want[i])));
  return w;
}

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(['cpu', 'wasm'] as const)('custom gradients on %s', (backend) => {
  // x with a spread like post-residual activations, γ away from 1 so dx depends on it, β non-zero.
  const x = seeded(ROWS * H, 1, 1.5, 0.3);
  const gamma = seeded(H, 2, 0.6, 1);
  const beta = seeded(H, 3, 0.5);
  const shapes = [[ROWS, H], [H], [H]];

  it('layerNorm: the same forward values as the composite formula, bit for bit', async () => {
    await useBackend(backend);
    for (const eps of [1e-12, 1e-5]) {
      const [a, b] = tf.tidy(() => {
        const args = [tf.tensor2d(x, [ROWS, H]), tf.tensor1d(gamma), tf.tensor1d(beta)] as const;
        return [lnCustom(...args, eps).dataSync(), layerNormComposite(...args, eps).dataSync()];
      });
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });

  it('layerNorm: dx, dγ, dβ equal central finite differences and autodiff of the composite formula', async () => {
    await useBackend(backend);
    const start = tf.memory().numTensors;
    for (const eps of [1e-12, 1e-5]) {
      const grads = (f: typeof layerNormComposite) => tf.tidy(() => {
        const g = tf.grads(lnLoss(f, eps))([tf.tensor2d(x, [ROWS, H]), tf.tensor1d(gamma), tf.tensor1d(beta)]);
        return g.map((t) => t.dataSync());
      });
      const custom = grads(lnCustom);
      const reference = grads(layerNormComposite);
      // Float32 differences at h = 1e-2: L is a sum of 15 terms of size ≤ ~3, so its rounding error is
      // ≲ 15·3·6e-8 ≈ 3e-6, ≈ 1.5e-4 after dividing by 2h; the truncation error h²/6·|L'''| is ≲ 2e-5·|L'''|,
      // and L''' ~ Σ|w|·|γ|/σ³ ≈ 10 for these rows (σ ≈ 0.9), ≈ 2e-4. Hence 1e-3 absolute plus 1 % relative.
      const numeric = centralDiff(lnLoss(lnCustom, eps), [x, gamma, beta], shapes, 1e-2);
      for (let k = 0; k < 3; k++) {
        expect(worst(custom[k], numeric[k], 1e-3, 1e-2)).toBeLessThan(1);
        // Two float32 evaluations of the same derivative in a different order: a few ulps of values ≤ ~5.
        expect(worst(custom[k], reference[k], 1e-5, 1e-4)).toBeLessThan(1);
        expect(Math.max(...Array.from(custom[k], Math.abs))).toBeGreaterThan(1e-2);
      }
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it('gelu: the same forward values as the composite formula; dx equals finite differences and autodiff', async () => {
    await useBackend(backend);
    const start = tf.memory().numTensors;
    // −3…3: both tails, the kink region around 0 and the minimum of GELU near −0.75.
    const xs = seeded(4 * 6, 4, 3);
    const [a, b] = tf.tidy(() => [geluCustom(tf.tensor2d(xs, [4, 6])).dataSync(), geluComposite(tf.tensor2d(xs, [4, 6])).dataSync()]);
    expect(Array.from(a)).toEqual(Array.from(b));
    const grad = (f: (x: T) => T) => tf.tidy(() => tf.grad(geluLoss(f))(tf.tensor2d(xs, [4, 6])).dataSync());
    const custom = grad(geluCustom);
    // Rounding: 24 terms of size ≤ 3 → ≲ 4e-6 in L, 2e-4 after /2h; truncation h²/6·|gelu'''| ≤ 2e-5·0.8.
    expect(worst(custom, centralDiff(geluLoss(geluCustom), [xs], [[4, 6]], 1e-2)[0], 1e-3, 1e-2)).toBeLessThan(1);
    // tfjs differentiates erf through its own exp(−u²)·2/√π: same value up to float32 rounding.
    expect(worst(custom, grad(geluComposite), 1e-6, 1e-5)).toBeLessThan(1);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('layerNorm works with γ, β as trainable or frozen variables and as tensors made inside the loss', async () => {
    await useBackend(backend);
    const start = tf.memory().numTensors;
    const eps = 1e-12;
    const reference = tf.tidy(() =>
      tf.grads(lnLoss(layerNormComposite, eps))([tf.tensor2d(x, [ROWS, H]), tf.tensor1d(gamma), tf.tensor1d(beta)]).map((t) => t.dataSync()));
    const variable = (data: Float32Array, shape: number[], trainable: boolean) => tf.tidy(() => tf.variable(tf.tensor(data, shape), trainable));
    const xv = variable(x, [ROWS, H], true);

    // Full fine-tuning: γ and β are trainable variables and get their gradients.
    const gv = variable(gamma, [H], true);
    const bv = variable(beta, [H], true);
    const full = tf.variableGrads(() => lnLoss(lnCustom, eps)(xv, gv, bv) as tf.Scalar, [xv, gv, bv]);
    [xv, gv, bv].forEach((v, k) => expect(worst(full.grads[v.name].dataSync(), reference[k], 1e-5, 1e-4)).toBeLessThan(1));

    // LoRA: γ and β are frozen variables; only x's gradient is asked for, the others are dropped.
    const gf = variable(gamma, [H], false);
    const bf = variable(beta, [H], false);
    const lora = tf.variableGrads(() => lnLoss(lnCustom, eps)(xv, gf, bf) as tf.Scalar, [xv]);
    expect(Object.keys(lora.grads)).toEqual([xv.name]);
    expect(worst(lora.grads[xv.name].dataSync(), reference[0], 1e-5, 1e-4)).toBeLessThan(1);

    // γ computed inside the loss is disposed when the forward pass ends; the backward pass must not need it then.
    const inside = tf.variableGrads(() => lnLoss(lnCustom, eps)(xv, tf.mul(gv, 1), tf.add(bv, 0)) as tf.Scalar, [xv, gv, bv]);
    [xv, gv, bv].forEach((v, k) => expect(worst(inside.grads[v.name].dataSync(), reference[k], 1e-5, 1e-4)).toBeLessThan(1));

    tf.dispose([full.value, lora.value, inside.value, ...Object.values(full.grads), ...Object.values(lora.grads), ...Object.values(inside.grads)]);
    tf.dispose([xv, gv, bv, gf, bf]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
