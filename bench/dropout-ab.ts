// LoRA dropout's masks drawn by tf.dropout (tfjs) and by the project's hash (src/model/fused/dropout-webgpu.ts on the
// device on WebGPU, src/model/dropout-mask.ts on the host elsewhere),
// interleaved in one process on one backend: ms/step, the JavaScript time of a step (encode_ms: on a GPU backend,
// recording and submitting; the mask draws happen there) and bytes uploaded per step, at the app's default rate 0.1.
//   npx tsx bench/dropout-ab.ts [--backend webgpu] [--batch 16] [--steps 3] [--rounds 2] model:seq ...
// model: a bench shape (bench/shared.ts) or tabtune-mini (4 layers, hidden 256, the page's default model).
import { useBackend, tf } from '../src/runtime/tf-node';
import { measureRow, randomModel, shapeByName, type Shape } from './shared';
import { setDropoutMasks } from '../src/model/lora';
import { takeOption } from './take-option';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => takeOption(args, name, dflt);
const backend = opt('--backend', 'webgpu') as 'webgpu' | 'wasm' | 'cpu';
const batch = Number(opt('--batch', '16'));
const steps = Number(opt('--steps', '3'));
const rounds = Number(opt('--rounds', '2'));
const TABTUNE_MINI: Shape = { name: 'tabtune-mini', layers: 4, hidden: 256, heads: 4, ffn: 1024, vocab: 12288 };

await useBackend(backend);
for (const spec of args) {
  const [model, seqText] = spec.split(':');
  const seq = Number(seqText);
  const shape = model === 'tabtune-mini' ? TABTUNE_MINI : shapeByName(model);
  const loaded = randomModel(shape);
  for (let r = 0; r < rounds; r++) {
    for (const masks of ['tfjs', 'hash'] as const) {
      setDropoutMasks(masks);
      const m = await measureRow(loaded, shape, { model, method: 'lora', seq, batch, loraDropout: 0.1 }, { steps, budgetMs: Infinity });
      console.log(JSON.stringify({
        backend, model, seq, batch, masks, round: r,
        ms_per_step: +m.ms_per_step.toFixed(1), encode_ms: +m.encode_ms.toFixed(1), times_ms: m.times_ms.map((t) => Math.round(t)),
        upload_bytes_per_step: m.upload_bytes_per_step, dispatches_per_step: m.dispatches_per_step, leaked: m.leaked_tensors, tensors_now: tf.memory().numTensors,
      }));
    }
  }
  setDropoutMasks('hash');
}
