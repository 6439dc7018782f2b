import { describe, expect, it } from 'vitest';
import { takeWebGpuErrors, tf, useBackend } from '../../src/runtime/tf-browser';
import type { Capabilities, BackendChoice } from '../../src/runtime/backend';
import { seeded } from '../helpers/seeded';

function inWorker(): Promise<{ caps: Capabilities; choice: BackendChoice }> {
  const w = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      resolve(e.data);
      w.terminate();
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage('probe');
  });
}

describe('WebGPU in this Chromium', () => {
  it('yields an adapter inside a worker, and the app picks wasm over a software one', async () => {
    const { caps, choice } = await inWorker();
    expect(caps.webgpu).not.toBeNull();
    expect(caps.webgpu!.architecture.length + caps.webgpu!.vendor.length).toBeGreaterThan(0);
    if (caps.webgpu!.isFallbackAdapter || caps.webgpu!.architecture === 'swiftshader') {
      expect(choice.backend).toBe('wasm');
      expect(choice.reason).toMatch(/^CPU \(wasm\) — only a software WebGPU adapter was found/);
    } else {
      expect(choice.backend).toBe('webgpu');
    }
  });

  it('computes a matmul on webgpu equal to the cpu backend within 1e-5', async () => {
    const a = seeded(64 * 96, 1);
    const b = seeded(96 * 48, 2);
    await useBackend('cpu');
    const refT = tf.matMul(tf.tensor2d(a, [64, 96]), tf.tensor2d(b, [96, 48]));
    const ref = await refT.data();
    refT.dispose();
    await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const out = tf.matMul(tf.tensor2d(a, [64, 96]), tf.tensor2d(b, [96, 48]));
    const got = await out.data();
    tf.dispose(out);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
    expect(ref.length).toBe(64 * 48);
    expect(maxDiff).toBeLessThan(1e-5);
  });
});

describe('training on the browser backends', () => {
  it('runs LoRA training steps on webgpu and on wasm with the same loss and parameters', async () => {
    const { loadModel } = await import('../../src/model/load');
    const { createClassifier } = await import('../../src/model/classifier');
    const { trainStep } = await import('../../src/train/loop');
    const { AdamW } = await import('../../src/train/optimizer');
    const { checkParity, checkMeanPoolingParity } = await import('../helpers/parity');
    const golden = (await import('../fixtures/goldens/tiny-bert.json')).default;
    const losses: Record<string, number> = {};
    const after: Record<string, Float32Array[]> = {};
    for (const backend of ['webgpu', 'wasm'] as const) {
      await useBackend(backend);
      const model = await loadModel({ id: 'tiny-bert', url: new URL('/models/tiny-bert', location.href).href });
      const clf = createClassifier(model, { method: 'lora', numLabels: 4, seed: 0, lora: { r: 8, alpha: 16, dropout: 0, targetModules: ['query', 'value'] } });
      const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
      const ids = [model.tokenizer.encode('Your order has shipped.', 16), model.tokenizer.encode('Invoice attached, payment due Friday.', 16)];
      const seq = 16;
      const batch = {
        batchSize: 2,
        seqLen: seq,
        inputIds: Int32Array.from(ids.flatMap((r) => [...r, ...Array(seq - r.length).fill(0)])),
        attentionMask: Int32Array.from(ids.flatMap((r) => [...r.map(() => 1), ...Array(seq - r.length).fill(0)])),
        labels: Int32Array.from([1, 0]),
      };
      const bBefore = (await clf.adapters[0].b.data()).slice();
      const loss = trainStep(clf, opt, batch, 1e-2, 1.0);
      losses[backend] = (await loss.data())[0];
      loss.dispose();
      const bAfter = await clf.adapters[0].b.data();
      expect(Number.isFinite(losses[backend])).toBe(true);
      expect(Math.max(...Array.from(bAfter, (x, i) => Math.abs(x - bBefore[i])))).toBeGreaterThan(1e-4);
      // A second step whose gradients the global-norm clip scales down: the sum of squares goes through AddN.
      trainStep(clf, opt, batch, 1e-2, 0.05).dispose();
      after[backend] = [];
      for (const v of clf.trainable) after[backend].push(((await v.data()) as Float32Array).slice());
      opt.dispose();
      clf.dispose();
      if (backend === 'webgpu') {
        // The full parity check, with the thresholds test/parity uses for cpu and wasm. Issue #4: mean pooling
        // used to read back off by ~2 (and, in the same dropped command batch, logits by ~4e-3) because a
        // WGSL shader failed to compile (tensorflow/tfjs#8638); see pool() in src/model/encoder.ts. A WebGPU
        // error makes results silently wrong, so none may occur.
        const e = await checkParity(model, golden);
        const m = await checkMeanPoolingParity(model, golden);
        console.log(
          `webgpu tiny-bert parity: embedding ${e.embedding.toExponential(2)}, logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, ` +
            `grads ${e.gradAbs.toExponential(2)} (score ${e.gradScore.toFixed(3)}), AdamW ${e.adamAbs.toExponential(2)} (score ${e.adamScore.toFixed(3)}); ` +
            `mean pooling: logits ${m.logits.toExponential(2)}, loss ${m.loss.toExponential(2)}, grads ${m.gradAbs.toExponential(2)} (score ${m.gradScore.toFixed(3)})`,
        );
        expect(takeWebGpuErrors()).toEqual([]);
        expect(e.embedding).toBeLessThanOrEqual(1e-4);
        expect(e.logits).toBeLessThanOrEqual(1e-4);
        expect(e.loss).toBeLessThanOrEqual(1e-4);
        // score < 1 means every element is within 1e-4 absolute or 1e-3 relative.
        expect(e.gradScore).toBeLessThan(1);
        expect(e.adamScore).toBeLessThan(1);
        expect(m.logits).toBeLessThanOrEqual(1e-4);
        expect(m.loss).toBeLessThanOrEqual(1e-4);
        expect(m.gradScore).toBeLessThan(1);
      }
    }
    // Same weights, same batch: both backends see the same first loss (ln 4 ≈ 1.386 for a fresh head).
    expect(Math.abs(losses.webgpu - losses.wasm)).toBeLessThan(1e-4);
    // ... and after two AdamW steps, the second one clipped, the same parameters (before the AddN split in
    // src/runtime/tf-browser.ts, webgpu's differed by ~2e-2).
    let paramDiff = 0;
    after.wasm.forEach((ref, i) => ref.forEach((x, j) => (paramDiff = Math.max(paramDiff, Math.abs(x - after.webgpu[i][j])))));
    console.log(`params after two steps: max |webgpu - wasm| ${paramDiff.toExponential(2)}`);
    expect(paramDiff).toBeLessThanOrEqual(1e-4);
    expect(takeWebGpuErrors()).toEqual([]);
  });
});
