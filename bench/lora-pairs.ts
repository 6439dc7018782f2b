// LoRA's step against full's at one shape and target, for the bench's own summary (scripts/cli/bench.ts) and the
// Markdown report (bench/report.ts): both read the rows the bench writes, and no tfjs module is needed to do it.

/** What the pairing reads of a bench row. */
export interface PairRow {
  model: string;
  method: string;
  target: string;
  seq: number;
  ms_per_step?: unknown;
  /** On a wasm full row: the LoRA step timed right after it, divided by this row's step (scripts/cli/bench.ts loraBeside). */
  lora_over_full?: unknown;
}

/** The full row at LoRA row l's model, target and length that `usable` accepts, if there is one. */
export function fullRowFor<R extends PairRow>(rows: R[], l: PairRow, usable: (r: R) => boolean): R | undefined {
  return rows.find((r) => r.method === 'full' && r.model === l.model && r.target === l.target && r.seq === l.seq && usable(r));
}

/** LoRA's step over full's: from the LoRA step timed right after the full row where there is one (the machine is
 * shared, and the table's LoRA row ran a minute or more earlier), else from the two rows of the table. */
export function loraOverFull(l: PairRow, f: PairRow): number {
  return typeof f.lora_over_full === 'number' ? f.lora_over_full : (l.ms_per_step as number) / (f.ms_per_step as number);
}
