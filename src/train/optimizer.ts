// AdamW written by hand (the heart of training, so no tf.train optimizer): exactly torch.optim.AdamW —
// decoupled weight decay first, then the bias-corrected Adam update. State lives in variables updated in
// place, so a step creates no long-lived tensors and never reads anything back to the CPU.
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  private m: tf.Variable[];
  private v: tf.Variable[];
  private t = 0;

  constructor(
    private vars: tf.Variable[],
    private opts: AdamWOptions,
    private decay: boolean[] = vars.map(() => true),
  ) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with `grads` (same order as the variables). The caller owns and disposes the gradients. */
  step(grads: tf.Tensor[], lr: number): void {
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      const stepSize = tf.scalar(lr / bc1);
      const sqrtBc2 = tf.scalar(Math.sqrt(bc2));
      const epsT = tf.scalar(eps);
      const keep = tf.scalar(1 - lr * weightDecay);
      const b1 = tf.scalar(beta1);
      const b2 = tf.scalar(beta2);
      const ob1 = tf.scalar(1 - beta1);
      const ob2 = tf.scalar(1 - beta2);
      this.vars.forEach((p, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, ob1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), ob2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = this.decay[i] && weightDecay !== 0 ? tf.mul(p, keep) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), epsT);
        p.assign(tf.sub(decayed, tf.mul(stepSize, tf.div(m, denom))));
      });
    });
  }

  async exportState(): Promise<AdamWState> {
    const read = (xs: tf.Variable[]) => Promise.all(xs.map(async (x) => new Float32Array(await x.data())));
    return { step: this.t, m: await read(this.m), v: await read(this.v) };
  }

  importState(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(`Optimizer state has ${s.m.length} tensors, the model trains ${this.m.length}: it belongs to a different method or model.`);
    }
    const load = (dst: tf.Variable[], src: Float32Array[]) =>
      dst.forEach((x, i) => {
        if (src[i].length !== x.size) throw new Error(`Optimizer state tensor ${i} has ${src[i].length} values, expected ${x.size}.`);
        const t = tf.tensor(src[i], x.shape, 'float32');
        x.assign(t);
        t.dispose();
      });
    load(this.m, s.m);
    load(this.v, s.v);
    this.t = s.step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((x) => x.dispose());
  }
}

/** torch.nn.utils.clip_grad_norm_: scale all gradients by min(1, maxNorm / (norm + 1e-6)); no readback. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))), tf.scalar(1));
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}
