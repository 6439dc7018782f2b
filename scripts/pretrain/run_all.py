"""tabtune-mini end to end: corpus → vocabulary → tokenizer check → MLM pretraining → sentence-embedding stage →
hub files → real-text checks → model card.

usage: /usr/bin/python3 scripts/pretrain/run_all.py [--device cpu|cuda] [--minutes N] [--work DIR]
       (from the repository root)

Every stage is resumable: run the same command again after a stop and it continues where it was (the corpus and
tokens are reused when present, pretraining and the contrastive stage continue from their resume checkpoints). The
settings below are the ones the shipped model was trained with; seeds are fixed, and a run that is stopped and
resumed ends with the same weights as one that is not (bit for bit on the same machine and libraries;
scripts/pretrain/check_resume.py checks both training stages).

On the CPU, products run in bf16 (oneDNN, AVX512-BF16) with fp32 weights, OpenBLAS (Debian `libopenblas0-openmp`,
installed if missing, loaded for this process only) for what stays fp32, on every core. With `--device cuda` the
same scripts run on an NVIDIA GPU (bf16 autocast); `--minutes` then sets the step count from the measured speed.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp'
ARCH = ['--hidden', '256', '--layers', '4', '--heads', '4']
PRETRAIN_ARGS = ['--batch', '64', '--seq', '128', '--lr', '1e-3', '--seed', '0', '--eval-every', '400',
                 '--log-every', '25']
CPU_STEPS = '3200'
CONTRASTIVE_ARGS = ['--steps', '450', '--batch', '64', '--lr', '1e-4', '--temperature', '0.05', '--seed', '0']
VOCAB = '12288'


def run(cmd, env=None) -> None:
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    ap.add_argument('--minutes', type=float, default=0,
                    help='MLM time budget (sets the step count from the measured speed); 0: the CPU recipe\'s steps')
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--skip-checks', action='store_true', help='do not run the real-text checks (they need Node)')
    args = ap.parse_args()
    py = sys.executable
    env = dict(os.environ)
    if args.device == 'cpu' and not os.path.exists(os.path.join(OPENBLAS, 'libblas.so.3')):
        run(['apt-get', 'install', '-y', 'libopenblas0-openmp'], env={**env, 'DEBIAN_FRONTEND': 'noninteractive'})
    if args.device == 'cpu':
        env['LD_LIBRARY_PATH'] = OPENBLAS + (':' + env['LD_LIBRARY_PATH'] if env.get('LD_LIBRARY_PATH') else '')
        env['OMP_NUM_THREADS'] = str(args.threads)
    work = args.work
    tok_dir = os.path.join(work, 'tokenizer')
    s = lambda name: os.path.join(HERE, name)  # noqa: E731
    common = ['--work', work]
    if not os.path.exists(os.path.join(work, 'train.txt')):
        run([py, s('corpus.py'), '--out', work], env)
    if not os.path.exists(os.path.join(work, 'train_ids.npy')):
        run([py, s('tokenize_corpus.py'), *common, '--model-dir', tok_dir, '--vocab-size', VOCAB], env)
    run([py, s('tokenizer_cases.py'), *common, '--model-dir', tok_dir], env)
    run(['node', s('check_tokenizer.mjs'), work, tok_dir], env)
    budget = ['--minutes', str(args.minutes)] if args.minutes else ['--steps', CPU_STEPS]
    device = ['--device', args.device, '--threads', str(args.threads)]
    if not os.path.exists(os.path.join(work, 'checkpoint.pt')):
        run(['nice', '-n', '5', py, s('pretrain.py'), *common, *ARCH, *PRETRAIN_ARGS, *budget, *device, '--resume'],
            env)
    if not os.path.exists(os.path.join(work, 'checkpoint-sentence.pt')):
        run(['nice', '-n', '5', py, s('contrastive.py'), *common, '--model-dir', tok_dir, *CONTRASTIVE_ARGS, *device,
             '--resume'], env)
    run([py, s('export.py'), *common, '--tokenizer-dir', tok_dir, '--model-dir', args.model_dir], env)
    run([py, s('compare_models.py'), *common, '--model', f'v2={args.model_dir}', '--random',
         f'v2-random={args.model_dir}'], env)
    if not args.skip_checks:
        # The shipped model and its random-weight twin (the page's tabtune-mini-random: the bundled folder with
        # every weight re-drawn), each fine-tuned with its command-line defaults.
        # The twin skips the fortunes folds (five more fine-tunes) to keep the run within a working session.
        for model, out, only in ((args.model_dir, 'checks.json', 'emails,fortunes,sts'),
                                 ('tabtune-mini-random', 'checks-random.json', 'emails,sts')):
            run(['npx', 'tsx', 'scripts/checks/realtext.ts', '--model', model, '--out', os.path.join(work, out),
                 '--only', only], env)
    run([py, s('make_card.py'), *common, '--model-dir', args.model_dir], env)


if __name__ == '__main__':
    main()
