// Whether a hub model is in the browser's Cache Storage, without pulling the model code into the page.
export const CACHE_NAME = 'transformers-cache';

export async function isModelCached(id: string, host = 'https://huggingface.co', revision = 'main'): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const cache = await caches.open(CACHE_NAME);
  return Boolean(await cache.match(`${host.replace(/\/$/, '')}/${id}/resolve/${revision}/model.safetensors`));
}
