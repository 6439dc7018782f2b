// How a text longer than a run's maxLen is read when it is scored or predicted: whole, as overlapping windows of
// maxLen tokens, each wrapped in the text's own first and last ids ([CLS] … [SEP]), instead of only its first maxLen.
// Training still reads the first maxLen tokens (its cost grows with length; scoring a split once does not).
// Windows of the training length with half of each shared with the next took the third hand-written email set
// (median 89 tokens) from 80.0 to 84.5 % in scripts/pretrain/finetune_probe.py, more than reading 128 tokens
// (84.1 %): scripts/pretrain/trials/2026-11-29-reading-long-emails-whole.md.

/** The windows one text is read as: `[ids]` when it fits in `length`, else windows that start every `length / 2`
 * word pieces (rounded down), the last ending at the text's end. `ids` holds its [CLS] first and its [SEP] last. */
export function textWindows(ids: number[], length: number): number[][] {
  if (!Number.isInteger(length) || length < 3) throw new Error(`textWindows: length must be an integer >= 3, got ${length}.`);
  if (ids.length <= length) return [ids];
  const first = ids[0];
  const last = ids[ids.length - 1];
  const body = ids.slice(1, -1);
  const n = length - 2;
  const stride = Math.max(1, Math.floor(n / 2));
  const out: number[][] = [];
  let start = 0;
  for (; start + n < body.length; start += stride) out.push([first, ...body.slice(start, start + n), last]);
  out.push([first, ...body.slice(body.length - n), last]);
  return out;
}
