// The attention of a run of sequences on the project's two wasm modules (batch-matmul.wat and fused.wat), forward
// and backward: the part of a step that one thread computes (src/model/fused/attention-wasm.ts cuts the batch into
// runs of sequences; ./product-helper.ts runs the helpers' runs). Per sequence, every head at once: the products read
// q, k, v and the context's gradient in place in their [rows, hidden] layout (head h in columns h·D … h·D + D − 1,
// rows `hidden` floats apart) and write the context and the gradients of q, k, v straight into that layout, so nothing
// is transposed into [batch, heads, L, D] and back; one sequence's scores ([heads, L, L]) stay in the cache between
// the product that makes them, the softmax and the product that reads them. Each product sums over k in the order
// the transposed layout's would, so the bits are the unfused path's.
import type { BatchMatMulFn } from './module';
import type { FusedWasm } from '../fused-wasm/module';

/** A forward part's arguments, in order (addresses in bytes; `d` = √D, a float): q, k, v [rows, hidden]; mask the
 * additive mask bias [batch, L]; probs [batch, heads, L, L] and ctx [rows, hidden], written; sequences first …
 * first + count − 1; packed and tile, the product's scratch (./slices.ts scratchBytes for the larger of (L, D), (D, L)). */
export type ForwardPart = [q: number, k: number, v: number, mask: number, probs: number, ctx: number, first: number, count: number,
  L: number, heads: number, D: number, d: number, packed: number, tile: number];

/** A backward part's arguments: dy (the context's gradient), q, k, v, probs as saved; dq, dk, dv written; dp a scratch of
 * heads·L·L floats; the rest as the forward's. */
export type BackwardPart = [dy: number, q: number, k: number, v: number, probs: number, dq: number, dk: number, dv: number,
  first: number, count: number, L: number, heads: number, D: number, d: number, dp: number, packed: number, tile: number];

export function attentionForwardPart(mm: BatchMatMulFn, fz: FusedWasm, part: ForwardPart): void {
  const [q, k, v, mask, probs, ctx, first, count, L, heads, D, d, packed, tile] = part;
  const H = heads * D;
  for (let b = first; b < first + count; b++) {
    const rows = b * L * H * 4;
    const p = probs + b * heads * L * L * 4;
    // scores[h] = q_h·k_hᵀ: q_h's (i, t) at q + i·H + h·D + t, k_hᵀ's (t, j) at k + j·H + h·D + t
    mm(q + rows, k + rows, p, heads, L, L, D, 4 * D, 4 * D, 4 * H, 4, 4, 4 * H, 4 * L, 4 * L * L, packed, tile);
    fz.masked_softmax(p, mask + b * L * 4, p, heads * L, L, d, heads * L, 0);
    // ctx_h = probs_h·v_h, into columns h·D … of the sequence's rows
    mm(p, v + rows, ctx + rows, heads, L, D, L, 4 * L * L, 4 * D, 4 * L, 4, 4 * H, 4, 4 * H, 4 * D, packed, tile);
  }
}

export function attentionBackwardPart(mm: BatchMatMulFn, fz: FusedWasm, part: BackwardPart): void {
  const [dy, q, k, v, probs, dq, dk, dv, first, count, L, heads, D, d, dp, packed, tile] = part;
  const H = heads * D;
  for (let b = first; b < first + count; b++) {
    const rows = b * L * H * 4;
    const p = probs + b * heads * L * L * 4;
    // dprobs_h = dy_h·v_hᵀ, then the scores' gradient in place (softmax_grad reads each element before writing it)
    mm(dy + rows, v + rows, dp, heads, L, L, D, 4 * D, 4 * D, 4 * H, 4, 4, 4 * H, 4 * L, 4 * L * L, packed, tile);
    fz.softmax_grad(p, dp, dp, heads * L, L, d);
    // dq_h = ds_h·k_h; dk_h = ds_hᵀ·q_h; dv_h = probs_hᵀ·dy_h
    mm(dp, k + rows, dq + rows, heads, L, D, L, 4 * L * L, 4 * D, 4 * L, 4, 4 * H, 4, 4 * H, 4 * D, packed, tile);
    mm(dp, q + rows, dk + rows, heads, L, D, L, 4 * L * L, 4 * D, 4, 4 * L, 4 * H, 4, 4 * H, 4 * D, packed, tile);
    mm(p, dy + rows, dv + rows, heads, L, D, L, 4 * L * L, 4 * D, 4, 4 * L, 4 * H, 4, 4 * H, 4 * D, packed, tile);
  }
}
