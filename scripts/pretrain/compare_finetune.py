"""Fine-tunes tabtune-mini, its random-weight twin and the random tiny-bert with the same settings on the built-in
email data, through tabtune's own command line (the same session as the app's worker), and writes
finetune.json for the model card: zero-shot "before", "after", losses, steps and time per model.

usage: /usr/bin/python3 scripts/pretrain/compare_finetune.py [--work tmp/pretrain] [--jobs 2]
"""
import argparse
import concurrent.futures
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = ['tabtune-mini', 'tabtune-mini-random', 'tiny-bert']
# The app's default settings for tabtune-mini (src/ui/models.ts, url-settings.ts), for every model alike.
SETTINGS = {'method': 'lora', 'epochs': '3', 'lr': '2e-3', 'batch': '16', 'max-len': '64', 'seed': '0',
            'r': '8', 'alpha': '16', 'dropout': '0.1', 'targets': 'query,value'}
DATA = {'count': 2000, 'seed': 1}


def train(model: str, data: str, out: str) -> dict:
    args = ['npx', 'tsx', 'scripts/cli/train.ts', '--data', data, '--model', model, '--out', out]
    for k, v in SETTINGS.items():
        args += [f'--{k}', v]
    res = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--models', default=','.join(MODELS), help='a subset; results merge into an existing finetune.json')
    args = ap.parse_args()
    models = args.models.split(',')
    work = os.path.join(ROOT, args.work)
    data = os.path.join(work, 'emails.jsonl')
    subprocess.run(['npx', 'tsx', 'scripts/cli/generate.ts', '--count', str(DATA['count']), '--seed', str(DATA['seed']),
                    '--out', data], cwd=ROOT, check=True)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(models, pool.map(lambda m: train(m, data, os.path.join(work, f'ft-{m}')), models)))
    path = os.path.join(work, 'finetune.json')
    out = {'data': {'generator': 'src/data/synth.ts', **DATA}, 'settings': SETTINGS, 'results': {}}
    if os.path.exists(path):
        old = json.load(open(path))
        if old['settings'] == SETTINGS and old['data'] == out['data']:
            out['results'] = old['results']
    for m, r in results.items():
        out['results'][m] = {k: r[k] for k in ('before', 'after', 'train_loss', 'val_loss', 'steps', 'seconds', 'backend',
                                                 'pooling', 'trainable_params', 'total_params')}
        print(f"{m:22s} before {r['before']['accuracy']:.3f}  after {r['after']['accuracy']:.3f}  "
              f"val loss {r['val_loss']}  {r['steps']} steps  {r['seconds']:.0f} s", flush=True)
    out['results'] = {m: out['results'][m] for m in MODELS if m in out['results']}
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
