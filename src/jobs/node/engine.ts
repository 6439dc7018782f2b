// The in-process engine as Node sets it up: tfjs on wasm (or cpu) from node_modules, and the bundled models read
// from the repository's public/models folder, the same ids the page offers.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ModelRef } from '../../domain';
import { MODEL_OPTIONS } from '../../model/catalogue';
import { inProcessEngine } from '../engine/in-process';
import type { JobEngine } from '../engine';

export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../../../public/models', import.meta.url));

export interface NodeEngineOptions {
  backend?: 'wasm' | 'cpu';
  modelsDir?: string;
  /** Allow the hub models the page offers (downloaded on first use); off by default, as they need the network. */
  hub?: boolean;
}

export function nodeEngine({ backend = 'wasm', modelsDir = BUNDLED_MODELS_DIR, hub = false }: NodeEngineOptions = {}): JobEngine {
  const refs = new Map<string, ModelRef>();
  for (const m of MODEL_OPTIONS) {
    const folder = join(modelsDir, m.twinOf?.folder ?? m.id);
    if (m.bundled && existsSync(join(folder, 'config.json'))) refs.set(m.id, { id: m.id, url: folder, ...(m.twinOf ? { reinitSeed: m.twinOf.seed } : {}) });
    else if (!m.bundled && hub) refs.set(m.id, { id: m.id, revision: 'main', hubHost: process.env.TABTUNE_HUB ?? 'https://huggingface.co' });
  }
  return inProcessEngine({
    backend,
    baseModels: [...refs.keys()],
    resolveModel: (id) => refs.get(id) ?? null,
    // Imported here, not at the top: loading tfjs's wasm glue is only worth it once something trains.
    prepare: async () => {
      const { useBackend } = await import('../../runtime/tf-node');
      await useBackend(backend);
    },
  });
}
