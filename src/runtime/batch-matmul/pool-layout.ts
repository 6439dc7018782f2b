// The control block the product pool (./pool.ts) and its helpers (./product-helper.ts) share on tfjs's heap: one
// slot of Int32 words per helper. The caller writes a part's arguments, then bumps Seq; the helper runs the part and
// writes the same number to Done. A negative Seq tells the helper to stop.
export const Word = { Seq: 0, Done: 1, Args: 2 } as const;
/** Args holds batch_matmul's 15 arguments. */
export const SLOT_WORDS = 2 + 15;
/** Slots 128 bytes apart, so two helpers' words never share a cache line. */
export const SLOT_BYTES = 128;
