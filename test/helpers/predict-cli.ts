// `npm run -s predict` as the tests call it: one process, its last stdout line parsed, a failure with its stderr.
import { spawnSync } from 'node:child_process';

export interface Predicted {
  backend: string;
  adapter?: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  input_ids: number[];
  pooling: string;
  embedding: number[];
  base_embedding?: number[];
  labels?: string[];
  probs?: number[];
}

export function predictCli(opts: { model: string; text: string; backend?: string; maxLen?: number; adapter?: string }): Predicted {
  const args = ['tsx', 'scripts/cli/predict.ts', '--model', opts.model, '--text', opts.text, '--backend', opts.backend ?? 'cpu', ...(opts.maxLen ? ['--max-len', String(opts.maxLen)] : []), ...(opts.adapter ? ['--adapter', opts.adapter] : [])];
  const p = spawnSync('npx', args, { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`predict ${args.slice(2).join(' ')} failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!);
}
