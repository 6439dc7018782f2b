// Base models stay loaded across runs and predictions, keyed by everything that makes them differ: a run or a
// prediction swaps its small adapter on a model already in memory instead of downloading and uploading it again.
import type { ModelRef } from '../domain';
import { loadModel, type LoadedModel, type ProgressFn } from './load';
import { reinitialised } from './reinit';

export class ModelCache {
  private loaded = new Map<string, Promise<LoadedModel>>();
  constructor(private onProgress?: ProgressFn) {}
  get(ref: ModelRef): Promise<LoadedModel> {
    const key = `${ref.hubHost ?? ''}|${ref.url ?? ''}|${ref.id}@${ref.revision ?? 'main'}|${ref.reinitSeed ?? ''}`;
    let p = this.loaded.get(key);
    if (!p) {
      const seed = ref.reinitSeed;
      p = loadModel(ref, this.onProgress).then((m) => (seed === undefined ? m : reinitialised(m, seed, ref.id)));
      // A failed load is forgotten, so the next request tries again instead of getting the same failure.
      p.catch(() => this.loaded.delete(key));
      this.loaded.set(key, p);
    }
    return p;
  }
}
