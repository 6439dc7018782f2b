// One change of the wasm path off and on, alternating in one process (the machine is shared: a slow minute hits
// both sides), as bench/RESULTS.md's "What each change bought" reports it:
//   npx tsx bench/wasm-ab.ts --change products|fused|softmax|attention|packed|identity|gather [--steps 3] [--rounds 3] model:method:seq ...
// products: untransposed 2-D products on XNNPACK (off) or the project's SIMD module (on; src/runtime/wasm-batch-matmul.ts);
// fused: bias + GELU and residual + LayerNorm as tfjs ops (off) or the wasm kernels (on; src/model/fused/*-wasm.ts);
// softmax: the attention's softmax as tfjs ops (off) or one wasm kernel each way (on; src/model/fused/softmax-wasm.ts);
// attention: the attention as transposes, batched products and that softmax (off) or per sequence in place, one kernel
// each way (on; src/model/fused/attention-wasm.ts);
// packed: every product packs its B operand (off) or frozen weights are packed once and kept (on;
// src/runtime/batch-matmul/packed-weights.ts);
// identity: tfjs-wasm's Identity copying (off) or sharing its input's data (on; src/runtime/wasm-identity.ts);
// gather: tfjs-wasm's element-wise GatherV2 (off) or whole rows copied (on; src/runtime/wasm-gather.ts).
// Node's wasm backend, one thread. Prints one JSON line per row and one summary line per configuration.
import { useBackend } from '../src/runtime/tf-node';
import { measureRow, median, randomModel, shapeByName } from './shared';
import { setOwnUntransposed2d } from '../src/runtime/wasm-batch-matmul';
import { setFusedWasmMode } from '../src/model/fused/wasm-common';
import { setSharedIdentity } from '../src/runtime/wasm-identity';
import { setRowGather } from '../src/runtime/wasm-gather';
import { setWasmSoftmax } from '../src/model/fused/softmax-wasm';
import { setWasmAttention } from '../src/model/fused/attention-wasm';
import { PACKED_WEIGHTS_LIMIT, setPackedWeightsLimit } from '../src/runtime/batch-matmul/packed-weights';
import type { Method } from '../src/model/types';
import { takeOption } from './take-option';

const args = process.argv.slice(2);
const take = (name: string, dflt: string) => takeOption(args, name, dflt);
const change = take('--change', 'products');
const steps = Number(take('--steps', '3'));
const rounds = Number(take('--rounds', '3'));
const switches: Record<string, (on: boolean) => void> = {
  products: (on) => setOwnUntransposed2d(on),
  fused: (on) => setFusedWasmMode(on ? 'auto' : 'off'),
  identity: (on) => setSharedIdentity(on),
  gather: (on) => setRowGather(on),
  softmax: (on) => setWasmSoftmax(on),
  attention: (on) => setWasmAttention(on),
  packed: (on) => setPackedWeightsLimit(on ? PACKED_WEIGHTS_LIMIT : 0),
};
const turn = switches[change];
if (!turn) throw new Error(`--change ${change}: one of ${Object.keys(switches).join(', ')}`);

await useBackend('wasm');
for (const spec of args) {
  const [model, method, seqText] = spec.split(':');
  const seq = Number(seqText);
  const shape = shapeByName(model);
  const loaded = randomModel(shape);
  const ms: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    for (const on of [false, true]) {
      turn(on);
      const m = await measureRow(loaded, shape, { model, method: method as Method, seq }, { steps, budgetMs: Infinity });
      ms[on ? 'on' : 'off'].push(m.ms_per_step);
      console.log(JSON.stringify({ change, model, method, seq, on, round: r, ms_per_step: +m.ms_per_step.toFixed(1), kernels: m.kernels_per_step, leaked: m.leaked_tensors }));
    }
  }
  turn(true);
  const [off, on] = [median([...ms.off].sort((a, b) => a - b)), median([...ms.on].sort((a, b) => a - b))];
  console.log(`${change} ${model} ${method} seq ${seq}: off ${off.toFixed(1)} ms, on ${on.toFixed(1)} ms (medians of ${rounds} rows of ${steps} steps), on/off ${(on / off).toFixed(3)}`);
}
