// Layer recompute on and off, interleaved in one process (the machine is shared: a slow minute hits both sides):
// peak tensor bytes and ms/step per configuration, as bench/RESULTS.md's "Memory: layer recompute" reports them.
//   npx tsx bench/recompute-ab.ts [--batch 16] [--steps 2] [--rounds 2] model:method:seq[:on] ...
// Recompute runs twice per round: multiplying again in the second run ("rerun") and keeping the first run's products
// ("keep", the default; src/model/recompute.ts). A trailing ":on" measures recompute on only: for configurations
// that overflow the wasm heap without it (after a "memory access out of bounds" the Node wasm module stays broken,
// so the off side must not run at all).
import { useBackend, tf } from '../src/runtime/tf-node';
import { measureRow, randomModel, shapeByName } from './shared';
import { activationBytes, setRecomputeProducts, type RecomputeProducts } from '../src/model/recompute';
import type { Method } from '../src/model/types';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const batch = opt('--batch', 16);
const steps = opt('--steps', 2);
const rounds = opt('--rounds', 2);
const MiB = 2 ** 20;

await useBackend('wasm');
for (const spec of args) {
  const [model, method, seqText, only] = spec.split(':');
  const seq = Number(seqText);
  const shape = shapeByName(model);
  const loaded = randomModel(shape);
  const on: { recompute: boolean; products: RecomputeProducts }[] = [{ recompute: true, products: 'rerun' }, { recompute: true, products: 'keep' }];
  const sides = only === 'on' ? on : [{ recompute: false, products: 'keep' as const }, ...on];
  for (let r = 0; r < rounds; r++) {
    for (const { recompute, products } of sides) {
      setRecomputeProducts(products);
      const m = await measureRow(loaded, shape, { model, method: method as Method, seq, batch, recompute }, { steps, budgetMs: Infinity });
      const est = activationBytes(loaded.config, batch, seq);
      console.log(JSON.stringify({
        model, method, seq, batch, recompute, products: recompute ? products : undefined, round: r,
        ms_per_step: +m.ms_per_step.toFixed(1), times_ms: m.times_ms.map((t) => Math.round(t)),
        peak_mib: +(m.peak_bytes / MiB).toFixed(1), step_mib: +((m.peak_bytes - m.start_bytes) / MiB).toFixed(1),
        estimate_mib: +(est / MiB).toFixed(1), leaked: m.leaked_tensors, tensors_now: tf.memory().numTensors,
      }));
    }
  }
}
