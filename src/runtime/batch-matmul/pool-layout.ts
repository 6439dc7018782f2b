// The control block the pool (./pool.ts) and its helpers (./product-helper.ts) share on tfjs's heap: one slot of
// Int32 words per helper. The caller writes a part's kernel, variant and arguments, then bumps Seq; the helper runs
// the part and writes the same number to Done. A negative Seq tells the helper to stop; it answers Done = Seq.
export const Word = { Seq: 0, Done: 1, Kernel: 2, Variant: 3, Args: 4 } as const;
/** The kernels a helper runs: the product module's one export, the fused module's six row-wise ones, and the
 * attention of a run of sequences forward and backward (./attention-parts.ts, on both modules). */
export const Kernel = {
  Product: 0, BiasGelu: 1, BiasGeluSlope: 2, LayerNorm: 3, LayerNormDx: 4, MaskedSoftmax: 5, SoftmaxGrad: 6,
  AttentionForward: 7, AttentionBackward: 8,
} as const;
export type KernelId = (typeof Kernel)[keyof typeof Kernel];
/** Each kernel's argument count, and the one argument that is a float (LayerNorm's ε, the softmax's divisor, passed
 * as its bits), or -1. */
export const ARITY: Record<KernelId, { args: number; float: number }> = {
  0: { args: 17, float: -1 },
  1: { args: 5, float: -1 },
  2: { args: 6, float: -1 },
  3: { args: 9, float: 8 },
  4: { args: 9, float: 8 },
  5: { args: 8, float: 5 },
  6: { args: 6, float: 5 },
  7: { args: 14, float: 11 },
  8: { args: 17, float: 13 },
};
export const VARIANTS = ['relaxed', 'plain'] as const;
/** Args holds at most 17 arguments. */
export const SLOT_WORDS = Word.Args + 17;
/** Slots 128 bytes apart, so two helpers' words never share a cache line. */
export const SLOT_BYTES = 128;
