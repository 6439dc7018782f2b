import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectQuickstartOutput } from '../helpers/quickstart-output';

// The README's library example is docs/examples/quickstart.ts, character for character, and so is the quick-start
// in docs/jobs-api.md; this test checks both and runs the file as a user would: in a project of its own whose
// node_modules/tabtune is this repository, so `from 'tabtune'` goes through package.json's exports map (its node
// branch). The "tabtune-source" condition points that map at src/ instead of dist-lib/, so no build is needed here;
// test/unit/library-build.test.ts runs the built package.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = 'docs/examples/quickstart.ts';
const block = (doc: string) => new RegExp('<!-- quickstart: docs/examples/quickstart\\.ts -->\\n```ts\\n([\\s\\S]*?)```').exec(doc)?.[1];

describe('the library quick-start (docs/examples/quickstart.ts)', () => {
  it('is shown verbatim in README.md and docs/jobs-api.md', async () => {
    const code = await readFile(join(repo, EXAMPLE), 'utf8');
    expect(block(await readFile(join(repo, 'README.md'), 'utf8'))).toBe(code);
    expect(block(await readFile(join(repo, 'docs/jobs-api.md'), 'utf8'))).toBe(code);
    expect(code.split('\n').filter(Boolean).length).toBeLessThanOrEqual(10);
  });

  it('runs unchanged in Node from a project of its own: events to succeeded, a prediction, the store in ./.tabtune', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tabtune-quickstart-'));
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      await mkdir(join(dir, 'node_modules'));
      await symlink(repo, join(dir, 'node_modules', 'tabtune'), 'dir');
      await copyFile(join(repo, EXAMPLE), join(dir, 'quickstart.ts'));
      // One JSON array per console.log call, so that the test reads back the values the example printed.
      await writeFile(join(dir, 'log-json.mjs'), 'console.log = (...args) => process.stdout.write(JSON.stringify(args) + "\\n");\n');
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

      const t0 = performance.now();
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--conditions=tabtune-source', '--import', tsx, '--import', './log-json.mjs', 'quickstart.ts'], { cwd: dir, maxBuffer: 1 << 24 }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        ),
      );
      const seconds = (performance.now() - t0) / 1000;

      const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
      const { events, prediction } = expectQuickstartOutput(lines);

      // openTabtune() with no arguments keeps everything in .tabtune/ in the working directory.
      expect(existsSync(join(dir, '.tabtune'))).toBe(true);
      expect((await readdir(join(dir, '.tabtune', 'jobs'))).some((f) => f.startsWith(prediction.model.split(':').at(-1)!))).toBe(true);
      console.log(`quick-start in Node: ${events.length} events in ${seconds.toFixed(1)} s`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
