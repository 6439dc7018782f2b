// Storage usage, persistence and the quota error, stated plainly.

export interface StorageStatus {
  usage: number;
  quota: number;
  persisted: boolean;
}

export async function storageStatus(): Promise<StorageStatus | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const persisted = (await navigator.storage.persisted?.()) ?? false;
  return { usage, quota, persisted };
}

/** Asks the browser not to evict this site's data. A main-thread call: workers cannot ask. */
export async function requestPersistence(): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.storage?.persist) return false;
  return navigator.storage.persist();
}

/** QuotaExceededError by name (all browsers), legacy code 22, and Firefox's NS_ERROR_DOM_QUOTA_REACHED. */
export function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as { name?: string; code?: number; message?: string; inner?: unknown };
  if (err.name === 'QuotaExceededError' || err.name === 'NS_ERROR_DOM_QUOTA_REACHED' || err.code === 22) return true;
  return Boolean(err.message && /quota/i.test(err.message));
}
