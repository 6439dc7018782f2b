// Whether a hub model is in the browser's Cache Storage, without pulling the model code into the page.
import { MODEL_OPTIONS } from './catalogue';

export const CACHE_NAME = 'transformers-cache';

export async function isModelCached(id: string, host = 'https://huggingface.co', revision = 'main'): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const cache = await caches.open(CACHE_NAME);
  return Boolean(await cache.match(`${host.replace(/\/$/, '')}/${id}/resolve/${revision}/model.safetensors`));
}

/** Bundled with the app, or cached: the page may load it without starting a download. */
export async function isModelAtHand(id: string): Promise<boolean> {
  return !!MODEL_OPTIONS.find((m) => m.id === id)?.bundled || (await isModelCached(id).catch(() => false));
}
