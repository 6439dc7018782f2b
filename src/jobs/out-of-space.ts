// Whether a store write failed for lack of space, the one failure worth keeping the write for: freeing space
// and retrying saves it. IndexedDB says QuotaExceededError (Firefox has its own name; old engines legacy code 22);
// a folder says ENOSPC, or EDQUOT over a user's quota. Looked for in `cause` too, where a wrapper put it.
export function isOutOfSpace(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 3) return false;
  const err = e as { name?: unknown; code?: unknown; cause?: unknown; inner?: unknown };
  if (err.name === 'QuotaExceededError' || err.name === 'NS_ERROR_DOM_QUOTA_REACHED') return true;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') return true;
  if (err.code === 22 && typeof DOMException !== 'undefined' && e instanceof DOMException) return true;
  return isOutOfSpace(err.cause, depth + 1) || isOutOfSpace(err.inner, depth + 1);
}
