// The hub download path against a local mirror with the hub's URL layout: progress, Cache Storage, offline reuse,
// the revision recorded, and a clear error for a file that is not there.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load';
import { isModelCached } from '../../src/model/cache';

const host = `${location.origin}/hub`;
const stats = async (): Promise<Record<string, number>> => (await fetch('/hub-stats')).json();

describe('loading a model from a hub', () => {
  it('downloads with progress, caches, and loads the second time without touching the network', async () => {
    await caches.delete('transformers-cache');
    const progress: [string, number, number][] = [];
    const ref = { id: 'tabtune-test/tiny-bert', hubHost: host, revision: 'main' };
    const first = await loadModel(ref, (file, loaded, total) => progress.push([file, loaded, total]));
    expect(first.revision).toBe('main');
    expect(first.config.modelType).toBe('bert');
    const last = progress.filter(([f]) => f === 'model.safetensors').pop()!;
    expect(last[1]).toBe(last[2]);
    expect(last[2]).toBeGreaterThan(1_000_000);
    expect(await isModelCached('tabtune-test/tiny-bert', host)).toBe(true);
    const before = (await stats())['tiny-bert@main/model.safetensors'];
    expect(before).toBe(1);

    const second = await loadModel(ref);
    expect(second.tokenizer.encode('order shipped', 16)).toEqual(first.tokenizer.encode('order shipped', 16));
    // The cached copy is the model itself: every tensor, shape and value, the config and the tokenizer files.
    expect(Object.keys(second.weights).sort()).toEqual(Object.keys(first.weights).sort());
    expect(Object.keys(first.weights).length).toBeGreaterThan(20);
    for (const [name, t] of Object.entries(first.weights)) {
      expect(second.weights[name].shape, name).toEqual(t.shape);
      expect(Array.from(second.weights[name].data).every((x, i) => x === t.data[i]), name).toBe(true);
    }
    expect(second.rawConfig).toEqual(first.rawConfig);
    expect(second.rawTokenizer).toEqual(first.rawTokenizer);
    expect((await stats())['tiny-bert@main/model.safetensors']).toBe(1);
  });

  it('names the model, file and host when a file cannot be downloaded', async () => {
    await expect(loadModel({ id: 'tabtune-test/tiny-bert', hubHost: host, revision: 'missing' })).rejects.toThrow(
      `Could not download config.json of tabtune-test/tiny-bert from ${host}/`,
    );
  });
});
