// Chat JSONL, the hosted fine-tuning services' format: one {"messages": [...]} object per line, the user message
// the text and the assistant message the label (the system message, if any, the dataset's instruction).
import type { Example } from '../../domain';
import type { ImportError } from './types';

const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight']);
const ROLES = new Set(['system', 'user', 'assistant']);

/** One chat JSONL line → an example, or the errors it has (several fields can be wrong at once). */
export function parseChatLine(raw: string, line: number, file: string): { example?: Example; instruction?: string; errors: ImportError[] } {
  const err = (message: string, field?: string): ImportError => ({ file, line, field, message });
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    return { errors: [err(`broken JSON: ${(e as Error).message}`)] };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { errors: [err('each line must be a JSON object with a "messages" list')] };
  const messages = (obj as { messages?: unknown }).messages;
  if (messages === undefined) return { errors: [err('"messages" is missing', 'messages')] };
  if (!Array.isArray(messages)) return { errors: [err('"messages" must be a list', 'messages')] };
  const errors: ImportError[] = [];
  let user: string | undefined;
  let assistant: string | undefined;
  let system: string | undefined;
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!m || typeof m !== 'object') return errors.push(err('must be an object with "role" and "content"', where));
    const { role, content } = m as { role?: unknown; content?: unknown };
    // The hosted services' format checker refuses keys it does not know and allows `name` and `weight`: refusing
    // them here too means a file that passes tabtune's validation also passes theirs.
    const unknown = Object.keys(m).filter((k) => !MESSAGE_KEYS.has(k));
    if (unknown.length) return errors.push(err(`unrecognized key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: role, content, name, weight)`, `${where}.${unknown[0]}`));
    if (typeof role !== 'string' || !ROLES.has(role)) return errors.push(err(`unknown role ${JSON.stringify(role)} (allowed: system, user, assistant)`, `${where}.role`));
    if (typeof content !== 'string') return errors.push(err(`content must be a string (got ${content === null ? 'null' : typeof content})`, `${where}.content`));
    if (!content.trim()) return errors.push(err('content is empty', `${where}.content`));
    if (role === 'user' && user === undefined) user = content;
    if (role === 'assistant' && assistant === undefined) assistant = content.trim();
    if (role === 'system' && system === undefined) system = content;
  });
  if (errors.length) return { errors };
  if (user === undefined) errors.push(err('no user message (the text to classify)', 'messages'));
  if (assistant === undefined) errors.push(err('no assistant message (the label)', 'messages'));
  if (errors.length) return { errors };
  return { example: { text: user!, label: assistant! }, instruction: system, errors };
}

/** Incremental chat-JSONL parsing, line by line, so huge files never have to be one string. */
export class ChatJsonlParser {
  readonly examples: Example[] = [];
  readonly lines: number[] = [];
  readonly errors: ImportError[] = [];
  badLines = 0;
  instruction?: string;
  private line = 0;
  private rest = '';
  constructor(private file: string) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.handle(p);
  }

  finish(): void {
    if (this.rest) this.handle(this.rest);
    this.rest = '';
  }

  private handle(raw: string): void {
    this.line += 1;
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.line === 1) s = s.replace(/^\uFEFF/, '');
    if (!s.trim()) return;
    const r = parseChatLine(s, this.line, this.file);
    if (r.errors.length) {
      this.errors.push(...r.errors);
      this.badLines += 1;
    } else {
      this.examples.push(r.example!);
      this.lines.push(this.line);
      this.instruction ??= r.instruction;
    }
  }
}
