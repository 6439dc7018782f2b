// What an import takes and gives back, whatever the file's format.
import type { Example } from '../../domain';

export type ImportFormat = 'chat-jsonl' | 'csv' | 'tsv' | 'json';

export interface ImportError {
  file: string;
  line: number;
  field?: string;
  message: string;
}

export interface ImportOptions {
  file: string;
  format?: ImportFormat;
  skipBadLines?: boolean;
  textColumn?: string;
  labelColumn?: string;
  /** An evaluation file is scored, not trained on: one example and one label are enough (default false). */
  evaluationOnly?: boolean;
}

export interface ImportResult {
  format: ImportFormat;
  examples: Example[];
  /** The line each example starts on in the file (examples[i] at lines[i]), for errors found after import. */
  lines: number[];
  instruction?: string;
  errors: ImportError[];
  /** Bad lines dropped because the user chose to skip them. */
  skipped: number;
  /** Why nothing can be stored (empty file, too few examples, errors without skipping). */
  refused?: string;
}

/** What a format's parser hands to `finalise`. */
export interface Parsed {
  examples: Example[];
  lines: number[];
  errors: ImportError[];
  badLines: number;
}
