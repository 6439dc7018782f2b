// `npm run -s export -- --run-dir DIR --format peft|merged --out DIR`: a CLI `train --out` folder exported as a
// PEFT adapter folder or as a merged model (LoRA folded into the weights, head included) in the hub's files.
import { parseArgs } from 'node:util';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { mergedFiles } from '../../src/model/merge';
import { peftFiles } from '../../src/model/peft';
import { cliModelRef } from './model-ref';

// Errors end the command with one readable line, not a stack trace through minified wasm glue.
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'run-dir': { type: 'string' }, format: { type: 'string', default: 'peft' }, out: { type: 'string' } } });
  const dir = values['run-dir'];
  if (!dir || !values.out || !['peft', 'merged'].includes(values.format!)) {
    process.stderr.write('usage: npm run -s export -- --run-dir DIR --format peft|merged --out DIR\n');
    process.exit(2);
  }
  await useBackend('cpu');
  const meta = JSON.parse(readFileSync(`${dir}/tabtune.json`, 'utf8'));
  const checkpoint = new Uint8Array(readFileSync(`${dir}/checkpoint.safetensors`)).buffer as ArrayBuffer;
  const ref = cliModelRef(meta.base_model);
  const base = await loadModel(ref);
  const files =
    values.format === 'merged'
      ? mergedFiles(base, checkpoint, meta.config.loraAlpha / meta.config.loraR, meta.labels)
      : peftFiles({ modelRef: ref, modelType: base.config.modelType, hiddenSize: base.config.hiddenSize, config: meta.config, labels: meta.labels, pooling: meta.pooling, checkpoint });
  mkdirSync(values.out, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(`${values.out}/${name}`, bytes);
  process.stdout.write(JSON.stringify({ format: values.format, out: values.out, files: Object.keys(files) }) + '\n');
  
}

main().catch((e: unknown) => {
  process.stderr.write(`export: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
