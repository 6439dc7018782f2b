// The AdamW goldens (test/fixtures/optimizer/adamw.json), made by scripts/make_optimizer_goldens.py with
// torch.optim.AdamW + clip_grad_norm_ (no project code): read by the cpu/wasm and the WebGPU optimizer tests.
import { readFileSync } from 'node:fs';

export interface OptimizerScenario {
  name: string;
  shapes: number[][];
  decay: boolean[];
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  max_norm: number;
  lrs: number[];
  params: number[][];
  grads: number[][][];
  norms: number[];
  after: number[][][];
  state: { step: number; m: number[][]; v: number[][] };
  after_float32_torch: number[][][];
}

export const optimizerGoldens: { torch: string; scenarios: OptimizerScenario[] } = JSON.parse(readFileSync('test/fixtures/optimizer/adamw.json', 'utf8'));
