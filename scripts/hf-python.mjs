// A Python with transformers, peft and sentence-transformers, for the parity tier's checks that load tabtune's
// exports in those libraries (scripts/hf_check.py, and the exported train.py). Debian packages none of them, so it
// is a virtual environment under the user's cache, keyed by scripts/hf-requirements.txt, built once by pip from
// whatever index pip is configured with, and reused by later runs and clones.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const requirements = join(here, 'hf-requirements.txt');

export function hfPythonPath() {
  const key = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'tabtune', `hf-python-${key}`, 'bin', 'python');
}

function works(python) {
  return existsSync(python) && spawnSync(python, ['-c', 'import transformers, peft, sentence_transformers, datasets, accelerate, sklearn'], { stdio: 'ignore' }).status === 0;
}

/** Returns the interpreter's path, building the environment first when needed; throws with pip's last lines. */
export function ensureHfPython() {
  const python = hfPythonPath();
  if (works(python)) return python;
  const venv = dirname(dirname(python));
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  console.error(`[tabtune] Building the Python environment for the transformers / peft checks in ${venv} (once)…`);
  const mk = spawnSync('/usr/bin/python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`python3 -m venv failed (Debian: apt-get install -y python3-venv): ${mk.stderr}`);
  // No retries: an index that cannot be reached fails in seconds instead of minutes per package.
  const pip = spawnSync(python, ['-m', 'pip', 'install', '-q', '--retries', '0', '--timeout', '30', '-r', requirements], { encoding: 'utf8' });
  if (!works(python)) {
    const tail = `${pip.stdout}\n${pip.stderr}`.trim().split('\n').slice(-5).join('\n');
    rmSync(venv, { recursive: true, force: true });
    throw new Error(`pip could not install scripts/hf-requirements.txt into ${venv}:\n${tail}`);
  }
  return python;
}
