// A CLI model argument is a local folder (hub file layout) or a hub id.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ModelRef } from '../../src/domain';
import { MODEL_OPTIONS } from '../../src/model/catalogue';

export function cliModelRef(arg: string, hubHost = process.env.TABTUNE_HUB ?? 'https://huggingface.co'): ModelRef {
  // The page's random-weight twins (e.g. tabtune-mini-random) resolve as the page resolves them.
  const twin = MODEL_OPTIONS.find((m) => m.id === arg)?.twinOf;
  if (twin) return { id: arg, url: resolve('public/models', twin.folder), reinitSeed: twin.seed };
  if (existsSync(arg)) return { id: arg, url: resolve(arg) };
  const bundled = resolve('public/models', arg);
  if (existsSync(bundled)) return { id: arg, url: bundled };
  return { id: arg, revision: process.env.TABTUNE_REVISION ?? 'main', hubHost };
}

/** The id a model's defaults are filed under (src/config.ts MODEL_DEFAULTS): a local folder is known by its name
 * (public/models/tabtune-mini → tabtune-mini), anything else by the argument itself. */
export function cliModelId(arg: string): string {
  return existsSync(arg) && !MODEL_OPTIONS.some((m) => m.id === arg) ? basename(resolve(arg)) : arg;
}
