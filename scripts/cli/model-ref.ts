// A CLI model argument is a local folder (hub file layout) or a hub id.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelRef } from '../../src/protocol';

export function cliModelRef(arg: string, hubHost = process.env.TABTUNE_HUB ?? 'https://huggingface.co'): ModelRef {
  if (existsSync(arg)) return { id: arg, url: resolve(arg) };
  const bundled = resolve('public/models', arg);
  if (existsSync(bundled)) return { id: arg, url: bundled };
  return { id: arg, revision: process.env.TABTUNE_REVISION ?? 'main', hubHost };
}
