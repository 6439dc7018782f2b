// Which parser reads a file: the one its extension names, else the one its first characters suggest.
import type { ImportFormat } from './types';

/** The format a file's extension names, if it names one. */
export function formatFromName(file: string): ImportFormat | undefined {
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'jsonl' || ext === 'ndjson') return 'chat-jsonl';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'csv') return 'csv';
  return undefined;
}

export function detectFormat(file: string, head: string): ImportFormat {
  const byName = formatFromName(file);
  if (byName) return byName;
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('[')) return 'json';
  if (t.startsWith('{')) return 'chat-jsonl';
  const first = t.split(/\r?\n/, 1)[0];
  return first.includes('\t') && !first.includes(',') ? 'tsv' : 'csv';
}
