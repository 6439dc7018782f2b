// AdamW written by hand (the heart of training, so no tf.train optimizer), with exactly torch.optim.AdamW's
// semantics: decoupled weight decay `p *= 1 - lr * wd` first, then the Adam update with bias corrections, eps
// added after the square root of the bias-corrected second moment. The moments live in variables updated in
// place (assign), so a step leaves no new tensors behind and never reads anything back to the CPU. On tfjs's WebGPU
// backend the same arithmetic runs as one fused dispatch per tensor, which writes the moments' buffers in place
// (src/train/adamw-webgpu.ts, docs/architecture.md "Fused kernels on WebGPU").
import * as tf from '@tensorflow/tfjs';
import { adamWUpdateAll, clipCoefficientFused, fusedOptimizerKernels } from './adamw-webgpu';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** On tfjs's WebGPU backend, one fused dispatch per tensor (src/train/adamw-webgpu.ts) instead of the tfjs ops.
   * Default true; false keeps the tfjs ops everywhere (for comparisons). Other backends always use the tfjs ops. */
  fused?: boolean;
}

/** What a checkpoint stores to resume the optimizer exactly (torch's `step`, `exp_avg`, `exp_avg_sq`). */
export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decay: boolean[];
  // Constant factors uploaded once; only the step- and lr-dependent factors are new scalars each step.
  private readonly consts: { beta1: tf.Scalar; oneMinusBeta1: tf.Scalar; beta2: tf.Scalar; oneMinusBeta2: tf.Scalar; eps: tf.Scalar };
  private t = 0;
  private disposed = false;
  /** The clip factor 1, for fused steps without clipping (made on the first such step). */
  private one: tf.Tensor | null = null;

  /** `decay[i] = false` turns weight decay off for variable i (LayerNorm weights and biases). Default: all on. */
  constructor(
    private readonly vars: tf.Variable[],
    private readonly opts: AdamWOptions,
    decay?: boolean[],
  ) {
    checkOptions(opts);
    if (decay && decay.length !== vars.length) {
      throw new Error(`AdamW: decay has ${decay.length} flags for ${vars.length} variables.`);
    }
    this.decay = decay ? [...decay] : vars.map(() => true);
    // tidy + keep: the optimizer may be built inside a caller's tidy, and its state must outlive it.
    const made = tf.tidy(() => ({
      m: vars.map((x) => tf.variable(tf.zerosLike(x), false)),
      v: vars.map((x) => tf.variable(tf.zerosLike(x), false)),
      consts: {
        beta1: tf.keep(tf.scalar(opts.beta1)),
        oneMinusBeta1: tf.keep(tf.scalar(1 - opts.beta1)),
        beta2: tf.keep(tf.scalar(opts.beta2)),
        oneMinusBeta2: tf.keep(tf.scalar(1 - opts.beta2)),
        eps: tf.keep(tf.scalar(opts.eps)),
      },
    }));
    this.m = made.m;
    this.v = made.v;
    this.consts = made.consts;
  }

  /** Whether steps use the fused WebGPU kernels when the backend is WebGPU (the `fused` option). */
  get fused(): boolean {
    return this.opts.fused !== false;
  }

  /** Number of steps taken (torch's `state['step']`); the bias corrections use it. */
  get stepCount(): number {
    return this.t;
  }

  /**
   * One update with `grads` in the same order as the variables, at learning rate `lr`; each gradient is first
   * multiplied by `gradScale` when given (the clip coefficient, see clipCoefficient). The caller owns the grads.
   */
  step(grads: tf.Tensor[], lr: number, gradScale?: tf.Scalar): void {
    this.checkAlive('step');
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`AdamW.step: learning rate must be a finite number >= 0, got ${lr}.`);
    if (grads.length !== this.vars.length) {
      throw new Error(`AdamW.step: got ${grads.length} gradients for ${this.vars.length} variables.`);
    }
    grads.forEach((g, i) => {
      if (!sameShape(g.shape, this.vars[i].shape)) {
        throw new Error(`AdamW.step: gradient ${i} has shape [${g.shape}], variable ${this.vars[i].name} has [${this.vars[i].shape}].`);
      }
    });
    this.t += 1;
    const { beta1, beta2, weightDecay } = this.opts;
    const c = this.consts;
    // Scalar factors computed in float64 on the CPU, exactly as torch does with Python floats.
    const stepSizeValue = lr / (1 - beta1 ** this.t);
    const sqrtBc2Value = Math.sqrt(1 - beta2 ** this.t);
    const keepValue = 1 - lr * weightDecay;
    const kernels = this.fused ? fusedOptimizerKernels() : null;
    if (kernels && grads.every((g, i) => g.dtype === 'float32' && this.vars[i].dtype === 'float32')) {
      const factors = { beta1, beta2, eps: this.opts.eps, stepSize: stepSizeValue, sqrtBc2: sqrtBc2Value };
      const clip = gradScale ?? (this.one ??= tf.keep(tf.ones([1])));
      const decay = this.decay.map((d) => d && weightDecay !== 0);
      const updated = adamWUpdateAll(kernels, this.vars, this.m, this.v, grads, decay, clip, factors, keepValue);
      updated.forEach((u, i) => {
        if (!u) return;
        this.vars[i].assign(u);
        u.dispose();
      });
      return;
    }
    const [stepSize, sqrtBc2, keep] = [stepSizeValue, sqrtBc2Value, keepValue].map((x) => tf.scalar(x));
    // One tidy per variable: each update's six temporaries are freed before the next variable's are made. In one
    // tidy around them all, they piled up to several times the model's size and DistilBERT's full fine-tuning ran
    // out of wasm memory (4 GB) in its first step.
    this.vars.forEach((p, i) =>
      tf.tidy(() => {
        const g = gradScale ? tf.mul(grads[i], gradScale) : grads[i];
        const m = tf.add(tf.mul(this.m[i], c.beta1), tf.mul(g, c.oneMinusBeta1));
        const v = tf.add(tf.mul(this.v[i], c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = this.decay[i] && weightDecay !== 0 ? tf.mul(p, keep) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), c.eps);
        // torch's addcdiv_(m, denom, value=-stepSize) computes (stepSize * m) / denom in that order.
        p.assign(tf.sub(decayed, tf.div(tf.mul(m, stepSize), denom)));
      }),
    );
    tf.dispose([stepSize, sqrtBc2, keep]);
  }

  /** Copies the state to the CPU (a readback: call it for checkpoints, not every step). */
  async exportState(): Promise<AdamWState> {
    this.checkAlive('exportState');
    const read = (xs: tf.Variable[]) => Promise.all(xs.map(async (x) => new Float32Array(await x.data<'float32'>())));
    const [m, v] = await Promise.all([read(this.m), read(this.v)]);
    // The fused kernels update the moments in place: tfjs must not answer a later read from these values.
    const kernels = this.fused ? fusedOptimizerKernels() : null;
    if (kernels) [...this.m, ...this.v].forEach((x) => kernels.forgetReadValues(x));
    return { step: this.t, m, v };
  }

  importState(s: AdamWState): void {
    this.checkAlive('importState');
    if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`Optimizer state: step must be an integer >= 0, got ${s.step}.`);
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(
        `Optimizer state has ${s.m.length} first-moment and ${s.v.length} second-moment tensors, the model trains ${this.m.length}: ` +
          'it belongs to a different method or model.',
      );
    }
    // Check everything before changing anything, so a bad state leaves the optimizer as it was.
    const check = (src: Float32Array[], field: 'm' | 'v') =>
      src.forEach((a, i) => {
        if (a.length !== this.vars[i].size) {
          throw new Error(`Optimizer state ${field}[${i}] has ${a.length} values, variable ${this.vars[i].name} has ${this.vars[i].size}.`);
        }
      });
    check(s.m, 'm');
    check(s.v, 'v');
    const load = (dst: tf.Variable[], src: Float32Array[]) =>
      dst.forEach((x, i) => {
        const t = tf.tensor(src[i], x.shape, 'float32');
        x.assign(t);
        t.dispose();
      });
    load(this.m, s.m);
    load(this.v, s.v);
    this.t = s.step;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    [...this.m, ...this.v].forEach((x) => x.dispose());
    Object.values(this.consts).forEach((x) => x.dispose());
    this.one?.dispose();
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new Error(`AdamW.${what}: the optimizer was disposed.`);
  }
}

/**
 * torch.nn.utils.clip_grad_norm_ (L2) as a factor: every gradient is to be multiplied by
 * min(1, maxNorm / (norm + 1e-6)), where norm is the L2 norm of all gradients together. Returns the factor and the
 * norm before clipping as device scalars (nothing is read back); the caller disposes them. The training step hands
 * the factor to AdamW.step instead of making a clipped copy of every gradient (for full fine-tuning, a second copy
 * of the model's size).
 */
export function clipCoefficient(grads: tf.Tensor[], maxNorm: number, opts: { fused?: boolean } = {}): { coef: tf.Scalar; norm: tf.Scalar } {
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new Error(`clipCoefficient: maxNorm must be a finite number > 0, got ${maxNorm} (skip the call to turn clipping off).`);
  }
  // On WebGPU: ceil(k / 7) + 1 dispatches (src/train/adamw-webgpu.ts) instead of two or more per gradient and five.
  const kernels = opts.fused !== false ? fusedOptimizerKernels() : null;
  const nonEmpty = grads.filter((g) => g.size > 0);
  if (kernels && nonEmpty.length && nonEmpty.every((g) => g.dtype === 'float32')) return clipCoefficientFused(kernels, nonEmpty, maxNorm);
  return tf.tidy(() => {
    const norm = grads.length ? (tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar) : tf.scalar(0);
    const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))), tf.scalar(1)) as tf.Scalar;
    return { coef, norm };
  });
}

function checkOptions(o: AdamWOptions): void {
  const bad = (field: keyof AdamWOptions, want: string) => {
    throw new Error(`AdamW options: ${field} must be ${want}, got ${o[field]}.`);
  };
  if (!(o.beta1 >= 0 && o.beta1 < 1)) bad('beta1', 'in [0, 1)');
  if (!(o.beta2 >= 0 && o.beta2 < 1)) bad('beta2', 'in [0, 1)');
  if (!(o.eps > 0 && Number.isFinite(o.eps))) bad('eps', 'a finite number > 0');
  if (!(o.weightDecay >= 0 && Number.isFinite(o.weightDecay))) bad('weightDecay', 'a finite number >= 0');
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
