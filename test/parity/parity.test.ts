import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { checkParity, type Golden } from '../helpers/parity';

for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
  describe(`tfjs ${backend} against PyTorch goldens`, () => {
    for (const name of ['tiny-bert', 'tiny-distilbert']) {
      it(`${name}: embeddings, logits, loss, LoRA + head gradients and 3 AdamW steps`, async () => {
        await useBackend(backend);
        const golden = JSON.parse(readFileSync(`test/fixtures/goldens/${name}.json`, 'utf8')) as Golden;
        const model = await loadModel({ id: name, url: resolve(`public/models/${name}`) });
        const e = await checkParity(model, golden);
        console.log(`${backend} ${name}: embedding ${e.embedding.toExponential(2)}, logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, grads max abs ${e.gradAbs.toExponential(2)} (score ${e.gradScore.toFixed(3)}), AdamW params max abs ${e.adamAbs.toExponential(2)} (score ${e.adamScore.toFixed(3)})`);
        expect(e.embedding).toBeLessThanOrEqual(1e-4);
        expect(e.logits).toBeLessThanOrEqual(1e-4);
        expect(e.loss).toBeLessThanOrEqual(1e-4);
        // score < 1 means every element is within 1e-4 absolute or 1e-3 relative.
        expect(e.gradScore).toBeLessThan(1);
        expect(e.adamScore).toBeLessThan(1);
      });
    }
  });
}
