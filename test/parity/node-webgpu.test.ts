// WebGPU in Node on Dawn (src/runtime/node-webgpu.ts): the command line's embedding on WebGPU equals the wasm one.
// On this machine the adapter is SwiftShader (a CPU); on a machine with a GPU the same test runs on the GPU's driver.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { predictCli } from '../helpers/predict-cli';

const predict = (backend: string) => predictCli({ model: 'public/models/tabtune-mini', text: 'Your order has shipped and will arrive on Tuesday.', backend });

describe('WebGPU in Node', () => {
  it('predict --backend webgpu runs tabtune-mini on a Dawn adapter and matches the wasm embedding within 1e-4', () => {
    const gpu = predict('webgpu');
    const wasm = predict('wasm');
    console.log(`Node WebGPU adapter: ${JSON.stringify(gpu.adapter)}`);
    expect(gpu.backend).toBe('webgpu');
    expect(wasm.backend).toBe('wasm');
    expect(gpu.adapter!.description.length).toBeGreaterThan(0);
    expect(gpu.input_ids).toEqual(wasm.input_ids);
    // One value per hidden unit of the bundled model (its config.json), so a cut or padded embedding fails.
    expect(gpu.embedding).toHaveLength((JSON.parse(readFileSync('public/models/tabtune-mini/config.json', 'utf8')) as { hidden_size: number }).hidden_size);
    const diff = Math.max(...gpu.embedding.map((x, i) => Math.abs(x - wasm.embedding[i])));
    console.log(`tabtune-mini embedding, webgpu vs wasm: max abs difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });
});
