// A PEFT export checked by PyTorch alone (scripts/peft_check.py): same logits within 1e-4, and the tuned embedding
// that `predict --adapter` prints equals the adapted encoder's pooled output in PyTorch. The LoRA scaling is
// alpha / r = 3 (not the default settings' 2), so a scaling hard-coded or read from the defaults fails here.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { writeSafetensors } from '../../src/model/safetensors';
import { writeAdapterFolder } from '../../src/model/peft';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { predictCli } from '../helpers/predict-cli';

for (const name of ['tiny-bert', 'tiny-distilbert']) {
  describe(`PEFT export of a ${name} LoRA adapter`, () => {
    it('is read by PyTorch alone and reproduces tabtune\'s logits within 1e-4', async () => {
      await useBackend('cpu');
      const dir = resolve(`public/models/${name}`);
      const model = await loadModel({ id: name, url: dir });
      const targets = name === 'tiny-bert' ? ['query', 'value', 'intermediate.dense'] : ['q_lin', 'v_lin', 'lin1'];
      const config = { ...DEFAULT_TRAIN_CONFIG, loraR: 4, loraAlpha: 12, loraTargets: targets };
      const clf = createClassifier(model, { method: 'lora', numLabels: 4, seed: 3, lora: { r: 4, alpha: 12, dropout: 0, targetModules: targets } });
      // A trained-looking adapter: B away from zero, so the check covers the LoRA path, not just the base.
      clf.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', 100 + i)));
      const names = clf.trainableNames();
      const tensors = Object.fromEntries(clf.trainable.map((v, i) => [names[i], { shape: v.shape, data: v.dataSync() as Float32Array }]));
      const out = mkdtempSync(join(tmpdir(), 'peft-'));
      await writeAdapterFolder(out, { modelRef: { id: name, url: dir }, modelType: model.config.modelType, hiddenSize: model.config.hiddenSize, config, labels: ['invoice', 'order', 'spam', 'support'], pooling: model.pooling, checkpoint: writeSafetensors(tensors).buffer as ArrayBuffer });
      const cfgJson = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
      expect(cfgJson).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', r: 4, lora_alpha: 12, target_modules: targets, modules_to_save: ['classifier'], label_names: ['invoice', 'order', 'spam', 'support'] });

      const texts = ['Your order has shipped.', 'Please pay invoice 42 by Friday, thanks a lot.', 'WIN A FREE PRIZE NOW'];
      const enc = texts.map((t) => model.tokenizer.encode(t, 32));
      const L = Math.max(...enc.map((e) => e.length));
      const ids = enc.map((e) => [...e, ...Array(L - e.length).fill(0)]);
      const mask = enc.map((e) => [...e.map(() => 1), ...Array(L - e.length).fill(0)]);
      const logits = tf.tidy(() => clf.logits(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask, undefined, 'int32'), false).arraySync());
      // The command line's view of the same adapter: one text, unpadded, through `predict --adapter`.
      const predicted = predictCli({ model: dir, adapter: out, text: texts[1], maxLen: 32 });
      expect(predicted.input_ids).toEqual(enc[1]);
      expect(predicted.labels).toEqual(['invoice', 'order', 'spam', 'support']);
      const baseOnly = predictCli({ model: dir, text: texts[1], maxLen: 32 });
      expect(predicted.base_embedding).toEqual(baseOnly.embedding);
      const moved = Math.max(...predicted.embedding.map((x: number, i: number) => Math.abs(x - predicted.base_embedding![i])));
      expect(moved).toBeGreaterThan(1e-3);
      writeFileSync(join(out, 'cases.json'), JSON.stringify({ ids, mask, logits, embedding_rows: [1], embeddings: [predicted.embedding] }));
      const r = spawnSync('/usr/bin/python3', ['scripts/peft_check.py', dir, out, join(out, 'cases.json')], { encoding: 'utf8' });
      if (r.error || (r.status !== 0 && !r.stdout)) throw new Error(`scripts/peft_check.py could not run (${r.error?.message ?? r.stderr}). It needs Debian's python3-torch: apt-get install -y python3-torch`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      console.log(`${name}: PEFT export vs PyTorch, max abs logit difference ${res.max_abs_diff.toExponential(2)}, predict --adapter embedding ${res.max_abs_embedding_diff.toExponential(2)} (moved ${moved.toExponential(2)} from the base)`);
      expect(res.max_abs_diff).toBeLessThanOrEqual(1e-4);
      expect(res.max_abs_embedding_diff).toBeLessThanOrEqual(1e-4);
      expect(r.status).toBe(0);
      clf.dispose();
    });
  });
}
