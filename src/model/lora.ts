// LoRA as PEFT does it (tuners/lora): y = W x + b + B(A(dropout(x))) · alpha / r, with A kaiming-uniform(a=√5)
// (uniform ±1/√in) and B zero, so at step 0 the adapted model is exactly the base model.
// Config, layer and injection are kept apart as in PEFT: LoraSettings (types.ts), LoraAdapter, injectLora().
import * as tf from '@tensorflow/tfjs';
import type { LoraSettings } from './types';
import type { EncoderWeights, Linear, LinearAdapter, LinearHook } from './encoder';
import { deviceDropout, deviceDropoutAvailable } from './fused/dropout-webgpu';
import { hostDropout } from './dropout-mask';

export interface LoraAdapter {
  /** Module path, e.g. "encoder.layer.0.attention.self.query". */
  module: string;
  /** A transposed to tfjs's layout: [in, r] (PEFT stores lora_A as [r, in]). */
  a: tf.Variable;
  /** B transposed: [r, out] (PEFT stores lora_B as [out, r]). */
  b: tf.Variable;
  scaling: number;
}

/** PEFT's matching: a target matches a module whose name is the target or ends with "." + target. */
export function matchesTarget(moduleName: string, targets: string[]): boolean {
  return targets.some((t) => moduleName === t || moduleName.endsWith(`.${t}`));
}

export function linearsOf(w: EncoderWeights): Linear[] {
  return w.layers.flatMap((l) => [l.query, l.key, l.value, l.attnOut, l.ffnIn, l.ffnOut]);
}

export function injectLora(w: EncoderWeights, s: LoraSettings, seed: number): LoraAdapter[] {
  if (!(s.r >= 1)) throw new Error(`LoRA rank r must be at least 1 (got ${s.r}).`);
  const targets = linearsOf(w).filter((l) => matchesTarget(l.name, s.targetModules));
  if (targets.length === 0) {
    const names = [...new Set(linearsOf(w).map((l) => l.name.split('.').slice(-1)[0]))];
    throw new Error(`LoRA target_modules ${JSON.stringify(s.targetModules)} match no layer of this model; its linear layers end in: ${names.join(', ')}.`);
  }
  return targets.map((lin, i) => {
    const [inDim, outDim] = lin.kernel.shape;
    const bound = 1 / Math.sqrt(inDim);
    // tf.variable keeps its initial tensor alive beside the variable: tidy disposes the initialiser, not the variable.
    return {
      module: lin.name,
      a: tf.tidy(() => tf.variable(tf.randomUniform([inDim, s.r], -bound, bound, 'float32', seed * 7919 + i), true, `${lin.name}.lora_A#${seed}-${i}-${Math.random()}`)),
      b: tf.tidy(() => tf.variable(tf.zeros([s.r, outDim]), true, `${lin.name}.lora_B#${seed}-${i}-${Math.random()}`)),
      scaling: s.alpha / s.r,
    };
  });
}

/**
 * The hook that gives each adapted layer its adapter; the encoder adds the update (encoder.ts `linear`). Dropout
 * (training only) gets a new seed every call, so each step draws a fresh mask while runs stay reproducible.
 */
export function loraHook(adapters: LoraAdapter[], dropout: number, training: boolean, dropoutSeed: () => number): LinearHook {
  const withDraw = (seed: () => number): LinearHook => {
    const byModule = new Map<string, LinearAdapter>(
      adapters.map((ad) => [ad.module, {
        a: ad.a as tf.Tensor2D,
        b: ad.b as tf.Tensor2D,
        scaling: ad.scaling,
        input: (x: tf.Tensor2D) => (training && dropout > 0 ? loraDropout(x, dropout, seed()) : x),
      }]),
    );
    const hook: LinearHook = (lin) => byModule.get(lin.name) ?? null;
    hook.withSeeds = (f) => withDraw(() => f(dropoutSeed));
    return hook;
  };
  return withDraw(dropoutSeed);
}

let masks: 'hash' | 'tfjs' = 'hash';
/**
 * Whose masks LoRA's dropout draws: 'hash', the project's (a hash of seed and element index, on the device on WebGPU:
 * fused/dropout-webgpu.ts; on the host elsewhere: dropout-mask.ts), or 'tfjs', tf.dropout's, for side-by-side runs
 * (bench/dropout-ab.ts).
 */
export function setDropoutMasks(which: 'hash' | 'tfjs'): void {
  masks = which;
}

/**
 * LoRA's input dropout. A seed draws the same mask on every backend, bit for bit: on WebGPU one kernel draws and
 * applies it (tf.dropout draws in JavaScript and uploads, which on a fast GPU costs more than the step); on cpu and
 * wasm the host draws it with the same hash (dropout-mask.ts).
 */
export function loraDropout(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  if (masks === 'tfjs') return tf.dropout(x, rate, undefined, seed) as tf.Tensor2D;
  return deviceDropoutAvailable() ? deviceDropout(x, rate, seed) : hostDropout(x, rate, seed);
}
