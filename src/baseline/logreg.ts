// Multinomial logistic regression on sparse rows, minimising scikit-learn's objective for
//   LogisticRegression(C, penalty="l2", multi_class="multinomial", fit_intercept=True, solver="lbfgs")
//   f(W, b) = 0.5 * ||W||^2 + C * sum_i CE(softmax(W x_i + b), y_i)      (the intercepts b are not penalised)
// (sklearn scales it by 1/C, which moves no optimum). f is strictly convex in W, so W is unique; b is unique up to
// a constant added to every class, which softmax ignores. Starting from zero, every gradient keeps sum_k b_k = 0,
// the same representative sklearn returns; fit re-centres b at the end so rounding cannot drift from it.
// Solved with L-BFGS (history 10, strong Wolfe line search) written here: a few thousand short texts train in
// seconds in a worker without tfjs.
import type { SparseRow } from './tfidf';

export interface LogRegOptions {
  /** Inverse regularisation strength, as sklearn's C. */
  C?: number;
  /** L-BFGS iterations at most (sklearn's max_iter). */
  maxIter?: number;
  /** Stop once ||gradient|| <= gtol * max(1, ||gradient at the start||). */
  gtol?: number;
  /** Columns; defaults to one past the largest index in the training rows. */
  numFeatures?: number;
}

export interface LogRegModel {
  numClasses: number;
  numFeatures: number;
  /** One row of numFeatures weights per class (sklearn's coef_; for 2 classes sklearn keeps only row 1 = -row 0). */
  coef: Float64Array[];
  /** Per class, summing to 0 (sklearn's intercept_). */
  intercept: Float64Array;
  /** The objective above at the returned weights, and the Euclidean norm of its gradient there. */
  objective: number;
  gradientNorm: number;
  iterations: number;
  /** False when maxIter ran out, or the line search could make no more progress, before the gradient test passed. */
  converged: boolean;
  predictProba(rows: SparseRow[]): Float64Array[];
  predict(rows: SparseRow[]): number[];
}

const HISTORY = 10;

/**
 * Parameters are one Float64Array, feature-major: weight (feature j, class k) at j * K + k, so a row's non-zeros
 * touch K adjacent numbers each; the K intercepts follow at D * K.
 */
export interface Problem {
  rows: SparseRow[];
  labels: ArrayLike<number>;
  numClasses: number;
  numFeatures: number;
  C: number;
}

/** f at params, with its gradient written into grad. */
export function objectiveAndGradient(p: Problem, params: Float64Array, grad: Float64Array): number {
  const K = p.numClasses;
  const bias = p.numFeatures * K;
  let f = 0;
  for (let i = 0; i < bias; i++) {
    f += 0.5 * params[i] * params[i];
    grad[i] = params[i];
  }
  for (let k = 0; k < K; k++) grad[bias + k] = 0;
  const z = new Float64Array(K);
  for (let i = 0; i < p.rows.length; i++) {
    const { indices, values } = p.rows[i];
    const y = p.labels[i];
    scores(params, bias, K, indices, values, z);
    const lse = logSumExp(z);
    f += p.C * (lse - z[y]);
    // z becomes C * (p - onehot(y)): the gradient of C * CE with respect to the scores.
    for (let k = 0; k < K; k++) z[k] = p.C * (Math.exp(z[k] - lse) - (k === y ? 1 : 0));
    for (let k = 0; k < K; k++) grad[bias + k] += z[k];
    for (let n = 0; n < indices.length; n++) {
      const base = indices[n] * K;
      const v = values[n];
      for (let k = 0; k < K; k++) grad[base + k] += v * z[k];
    }
  }
  return f;
}

function scores(params: Float64Array, bias: number, K: number, indices: Int32Array, values: ArrayLike<number>, z: Float64Array): void {
  for (let k = 0; k < K; k++) z[k] = params[bias + k];
  for (let n = 0; n < indices.length; n++) {
    const base = indices[n] * K;
    if (base >= bias) continue; // a column the model never saw carries no weight
    const v = values[n];
    for (let k = 0; k < K; k++) z[k] += params[base + k] * v;
  }
}

function logSumExp(z: Float64Array): number {
  let max = -Infinity;
  for (let k = 0; k < z.length; k++) max = Math.max(max, z[k]);
  let s = 0;
  for (let k = 0; k < z.length; k++) s += Math.exp(z[k] - max);
  return max + Math.log(s);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function fit(rows: SparseRow[], labels: ArrayLike<number>, numClasses: number, options: LogRegOptions = {}): LogRegModel {
  const { C = 1.0, maxIter = 1000, gtol = 1e-6 } = options;
  if (rows.length !== labels.length) throw new Error(`logreg.fit: ${rows.length} rows but ${labels.length} labels.`);
  if (rows.length === 0) throw new Error('logreg.fit: no training rows.');
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`logreg.fit: numClasses must be an integer >= 2, got ${numClasses}.`);
  if (!(C > 0)) throw new Error(`logreg.fit: C must be positive, got ${C}.`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new Error(`logreg.fit: label ${i} is ${y}, not an integer in 0..${numClasses - 1}.`);
  }
  let widest = 0;
  for (const r of rows) for (let n = 0; n < r.indices.length; n++) widest = Math.max(widest, r.indices[n] + 1);
  const numFeatures = options.numFeatures ?? widest;
  // A column past numFeatures would land its gradient on the intercepts, which follow the weights.
  if (widest > numFeatures) throw new Error(`logreg.fit: a row has column ${widest - 1}, but numFeatures is ${numFeatures}.`);

  const problem: Problem = { rows, labels, numClasses, numFeatures, C };
  const result = lbfgs((x, g) => objectiveAndGradient(problem, x, g), (numFeatures + 1) * numClasses, maxIter, gtol);
  return toModel(problem, result);
}

function toModel(p: Problem, r: LbfgsResult): LogRegModel {
  const K = p.numClasses;
  const D = p.numFeatures;
  const params = r.x;
  let mean = 0;
  for (let k = 0; k < K; k++) mean += params[D * K + k] / K;
  for (let k = 0; k < K; k++) params[D * K + k] -= mean;
  const coef = Array.from({ length: K }, (_, k) => {
    const w = new Float64Array(D);
    for (let j = 0; j < D; j++) w[j] = params[j * K + k];
    return w;
  });
  const intercept = params.slice(D * K);
  const predictProba = (rows: SparseRow[]) =>
    rows.map(({ indices, values }) => {
      const z = new Float64Array(K);
      scores(params, D * K, K, indices, values, z);
      const lse = logSumExp(z);
      for (let k = 0; k < K; k++) z[k] = Math.exp(z[k] - lse);
      return z;
    });
  return {
    numClasses: K,
    numFeatures: D,
    coef,
    intercept,
    objective: r.f,
    gradientNorm: r.gradientNorm,
    iterations: r.iterations,
    converged: r.converged,
    predictProba,
    // First maximum on ties, as numpy's argmax in sklearn's predict.
    predict: (rows) => predictProba(rows).map((q) => q.reduce((best, v, k) => (v > q[best] ? k : best), 0)),
  };
}

// ---- L-BFGS -----------------------------------------------------------------------------------------------------

type Objective = (x: Float64Array, grad: Float64Array) => number;

interface LbfgsResult {
  x: Float64Array;
  f: number;
  gradientNorm: number;
  iterations: number;
  converged: boolean;
}

/** A trial point's buffers; the line search and the solver pass them back and forth instead of allocating. */
interface Buffers {
  x: Float64Array;
  g: Float64Array;
}

interface Point {
  alpha: number;
  f: number;
  /** Directional derivative g . d at this point. */
  dg: number;
  /** null for the start of the search and for upper bracket ends, whose x and g are never used. */
  buffers: Buffers | null;
}

export function lbfgs(fg: Objective, size: number, maxIter: number, gtol: number): LbfgsResult {
  let x: Float64Array = new Float64Array(size);
  let g: Float64Array = new Float64Array(size);
  let f = fg(x, g);
  let gnorm = Math.sqrt(dot(g, g));
  const tolerance = gtol * Math.max(1, gnorm);
  // Parameters can number in the hundreds of thousands (one per term and class): every vector is allocated once
  // and recycled, or the garbage collector costs as much as the arithmetic.
  const d = new Float64Array(size);
  const pool: Buffers[] = [0, 1].map(() => ({ x: new Float64Array(size), g: new Float64Array(size) }));
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let sNew: Float64Array = new Float64Array(size);
  let yNew: Float64Array = new Float64Array(size);
  const alphas = new Float64Array(HISTORY);
  let iterations = 0;
  let converged = gnorm <= tolerance;

  while (!converged && iterations < maxIter) {
    // Two-loop recursion: d = -H g, H the inverse-Hessian estimate from the last HISTORY steps.
    for (let i = 0; i < size; i++) d[i] = -g[i];
    for (let i = S.length - 1; i >= 0; i--) {
      alphas[i] = rho[i] * dot(S[i], d);
      axpy(-alphas[i], Y[i], d);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      scale(d, 1 / (rho[last] * dot(Y[last], Y[last]))); // H0 = (s.y / y.y) I
    }
    for (let i = 0; i < S.length; i++) axpy(alphas[i] - rho[i] * dot(Y[i], d), S[i], d);

    let dg = dot(g, d);
    if (!(dg < 0)) {
      // Rounding can spoil a curvature pair; fall back to steepest descent and rebuild the history.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < size; i++) d[i] = -g[i];
      dg = -gnorm * gnorm;
    }
    // First step (no curvature yet): length 1 along -g/||g||, as scipy's L-BFGS-B; afterwards the natural step 1.
    const alpha0 = S.length === 0 ? Math.min(1, 1 / gnorm) : 1;
    const step = wolfeSearch(fg, x, f, d, dg, alpha0, pool);
    if (step === null) {
      if (S.length === 0) break; // no decrease even along -g: f is flat to rounding here
      S.length = Y.length = rho.length = 0;
      continue;
    }
    iterations++;
    const next = step.buffers!;
    for (let i = 0; i < size; i++) {
      sNew[i] = next.x[i] - x[i];
      yNew[i] = next.g[i] - g[i];
    }
    const sy = dot(sNew, yNew);
    // Keep only pairs with positive curvature, so H stays positive definite.
    if (sy > 1e-12 * dot(yNew, yNew)) {
      S.push(sNew);
      Y.push(yNew);
      rho.push(1 / sy);
      if (S.length > HISTORY) {
        sNew = S.shift()!;
        yNew = Y.shift()!;
        rho.shift();
      } else {
        sNew = new Float64Array(size);
        yNew = new Float64Array(size);
      }
    }
    pool.push({ x, g });
    ({ x, g } = next);
    f = step.f;
    gnorm = Math.sqrt(dot(g, g));
    converged = gnorm <= tolerance;
  }
  return { x, f, gradientNorm: gnorm, iterations, converged };
}

function axpy(a: number, xv: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * xv[i];
}

function scale(v: Float64Array, a: number): void {
  for (let i = 0; i < v.length; i++) v[i] *= a;
}

const C1 = 1e-4; // sufficient decrease
const C2 = 0.9; // curvature: the usual value for quasi-Newton directions
const MAX_EVALS = 40;

/**
 * Strong Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) from x along d. Returns the accepted point,
 * whose buffers now belong to the caller, or null when no step lowers f (x is optimal to within rounding).
 * Trial points take their buffers from pool and give back the ones they drop; two spare pairs are enough.
 */
function wolfeSearch(fg: Objective, x: Float64Array, f0: number, d: Float64Array, dg0: number, alpha0: number, pool: Buffers[]): Point | null {
  let evals = 0;
  const at = (alpha: number): Point => {
    evals++;
    const buffers = pool.pop()!;
    const { x: xa, g } = buffers;
    for (let i = 0; i < x.length; i++) xa[i] = x[i] + alpha * d[i];
    const f = fg(xa, g);
    return { alpha, f, dg: dot(g, d), buffers };
  };
  // Keeps a point's scalars (enough for a bracket end) and returns its buffers to the pool.
  const release = (p: Point): Point => {
    if (p.buffers) pool.push(p.buffers);
    return { ...p, buffers: null };
  };
  const armijo = (p: Point) => p.f <= f0 + C1 * p.alpha * dg0;
  const curvature = (p: Point) => Math.abs(p.dg) <= -C2 * dg0;

  let prev: Point = { alpha: 0, f: f0, dg: dg0, buffers: null };
  let alpha = alpha0;
  while (evals < MAX_EVALS) {
    const p = at(alpha);
    if (!Number.isFinite(p.f) || !armijo(p) || (prev.alpha > 0 && p.f >= prev.f)) return zoom(prev, release(p));
    if (curvature(p)) {
      release(prev);
      return p;
    }
    if (p.dg >= 0) return zoom(p, release(prev));
    release(prev);
    prev = p;
    alpha *= 2;
  }
  return prev.alpha > 0 ? prev : null;

  // lo satisfies Armijo with the lowest f so far; the minimiser of f along d lies between lo and hi.
  function zoom(lo: Point, hi: Point): Point | null {
    while (evals < MAX_EVALS) {
      const width = hi.alpha - lo.alpha;
      if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo.alpha))) break;
      // Cubic interpolation from both ends' values and slopes, kept away from the ends; bisection if it fails.
      let alpha = cubicMin(lo, hi);
      const margin = 0.1 * Math.abs(width);
      const [a, b] = lo.alpha < hi.alpha ? [lo.alpha, hi.alpha] : [hi.alpha, lo.alpha];
      if (!Number.isFinite(alpha) || alpha < a + margin || alpha > b - margin) alpha = lo.alpha + width / 2;
      const p = at(alpha);
      if (!Number.isFinite(p.f) || !armijo(p) || p.f >= lo.f) hi = release(p);
      else {
        if (curvature(p)) {
          release(lo);
          return p;
        }
        if (p.dg * (hi.alpha - lo.alpha) >= 0) hi = release(lo);
        else release(lo);
        lo = p;
      }
    }
    // Out of evaluations or interval: a decrease without the curvature condition is still progress.
    return lo.alpha > 0 ? lo : null;
  }
}

/** Minimiser of the cubic matching f and f' at both points (Nocedal & Wright eq. 3.59). */
function cubicMin(p: Point, q: Point): number {
  if (!Number.isFinite(q.f) || !Number.isFinite(q.dg)) return NaN;
  const d1 = p.dg + q.dg - 3 * (p.f - q.f) / (p.alpha - q.alpha);
  const disc = d1 * d1 - p.dg * q.dg;
  if (disc < 0) return NaN;
  const d2 = Math.sign(q.alpha - p.alpha) * Math.sqrt(disc);
  return q.alpha - (q.alpha - p.alpha) * (q.dg + d2 - d1) / (q.dg - p.dg + 2 * d2);
}
