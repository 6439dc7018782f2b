import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { checkParity, type Golden } from '../helpers/parity';
import { setWebGpuMatMulRule, untransposedARule, webGpuMatMulStats } from '../../src/runtime/webgpu-matmul';

// 'webgpu, hardware matmul': the products a hardware adapter gives our tiled matmul under the default 'auto' rule
// (src/runtime/webgpu-matmul.ts), which on SwiftShader would otherwise stay with tfjs's kernel. On an H100 the rule
// once made every mean-pooled embedding wrong (a cast mask read as float bits) while logits and gradients passed.
for (const backend of ['cpu', 'wasm', 'webgpu', 'webgpu, hardware matmul'] as const) {
  describe(`tfjs ${backend} against PyTorch goldens`, () => {
    for (const name of ['tiny-bert', 'tiny-distilbert']) {
      it(`${name}: embeddings, logits, loss, LoRA + head gradients and 3 AdamW steps`, async () => {
        const hardware = backend === 'webgpu, hardware matmul';
        await useBackend(hardware ? 'webgpu' : backend);
        const golden = JSON.parse(readFileSync(`test/fixtures/goldens/${name}.json`, 'utf8')) as Golden;
        const model = await loadModel({ id: name, url: resolve(`public/models/${name}`) });
        const products = webGpuMatMulStats.products;
        if (hardware) setWebGpuMatMulRule(untransposedARule);
        const e = await checkParity(model, golden).finally(() => setWebGpuMatMulRule(null));
        if (hardware) expect(webGpuMatMulStats.products - products).toBeGreaterThan(0);
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
