"""tabtune-mini end to end: corpus → vocabulary → tokenizer check → MLM pretraining → sentence-embedding stage →
hub files → real-text checks → model card.

usage: /usr/bin/python3 scripts/pretrain/run_all.py [--device cpu|cuda] [--work DIR]
       /usr/bin/python3 scripts/pretrain/run_all.py --data-only            # then train on a GPU machine:
       /usr/bin/python3 scripts/pretrain/gpu_sweep.py pack --work tmp/pretrain --out gpu-pretrain
       (there) python3 scripts/pretrain/gpu_sweep.py run --payload gpu-pretrain --out "$OUT" --only a-256x4 --mlm-steps 2432
       /usr/bin/python3 scripts/pretrain/gpu_sweep.py unpack --results DIR --into tmp/gpu
       /usr/bin/python3 scripts/pretrain/run_all.py --trained tmp/gpu/a-256x4    # export, checks, card
       (from the repository root)

The vocabulary is trained on the plain corpus (every source once); the model is trained on the weighted one
(CORPUS_WEIGHTS: modern prose up, the 1913 dictionary down), tokenised with that vocabulary. The held-out documents
are the same in both. Every stage is resumable: run the same command again after a stop and it continues where it
was (the corpus and tokens are reused when present, pretraining and the contrastive stage continue from their resume
checkpoints). The settings below are the ones the shipped model was trained with; seeds are fixed, and a run that is
stopped and resumed ends with the same weights as one that is not (bit for bit on the same machine and libraries;
scripts/pretrain/check_resume.py checks both training stages).

On the CPU, products run in bf16 (oneDNN, AVX512-BF16) with fp32 weights, OpenBLAS (Debian `libopenblas0-openmp`,
installed if missing, loaded for this process only) for what stays fp32, on every core; the shipped recipe's
80 M tokens take hours there (it resumes across sessions). With `--device cuda` the same scripts run on an NVIDIA
GPU (bf16 autocast); the shipped model was trained so (see its card).
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp'
ARCH = ['--hidden', '256', '--layers', '4', '--heads', '4']
# Shared with gpu_sweep.py, which trains candidates of other sizes with the same recipe.
PRETRAIN_ARGS = ['--batch', '256', '--seq', '128', '--seed', '0', '--eval-every', '1000', '--log-every', '100',
                 '--checkpoint-minutes', '2']
LR = '1e-3'
# The step count the shipped run's --minutes budget came to (gpu_sweep.py on an H100, four candidates sharing it).
STEPS = '2432'
CONTRASTIVE_ARGS = ['--steps', '1500', '--batch', '128', '--lr', '1e-4', '--temperature', '0.05', '--seed', '0',
                    '--mlm-batch', '32', '--eval-every', '250', '--checkpoint-minutes', '2']
VOCAB = '12288'
CORPUS_WEIGHTS = ('gcide=0.15,perl-docs=0.3,manpages=0.4,foldoc=0.5,debian-descriptions=2,debian-handbook=3,'
                  'debian-reference=3,debian-docs=2,wordnet=1.5,devil=2')


def run(cmd, env=None) -> None:
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    ap.add_argument('--minutes', type=float, default=0,
                    help='MLM time budget (sets the step count from the measured speed); 0: the recipe\'s STEPS')
    ap.add_argument('--data-only', action='store_true', help='stop after the corpus, vocabulary and token stream')
    ap.add_argument('--trained', default='', help='a folder from gpu_sweep.py unpack: take its checkpoint and records '
                                                  'instead of training here')
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
    plain = os.path.join(work, 'plain')
    if not os.path.exists(os.path.join(plain, 'train.txt')):
        run([py, s('corpus.py'), '--out', plain], env)
    if not os.path.exists(os.path.join(tok_dir, 'vocab.txt')):
        run([py, s('tokenize_corpus.py'), '--work', plain, '--model-dir', tok_dir, '--vocab-size', VOCAB], env)
    if not os.path.exists(os.path.join(work, 'train.txt')):
        run([py, s('corpus.py'), '--out', work, '--weights', CORPUS_WEIGHTS], env)
    if not os.path.exists(os.path.join(work, 'train_ids.npy')):
        run([py, s('tokenize_corpus.py'), *common, '--model-dir', os.path.join(work, 'tokenizer-copy'), '--vocab',
             os.path.join(tok_dir, 'vocab.txt')], env)
    run([py, s('tokenizer_cases.py'), *common, '--model-dir', tok_dir], env)
    run(['node', s('check_tokenizer.mjs'), work, tok_dir], env)
    if args.data_only:
        print(f'data ready in {work}: pack it for a GPU with gpu_sweep.py pack --work {work} --out gpu-pretrain')
        return
    if args.trained:
        for f in ('checkpoint-sentence.pt', 'metrics.json', 'contrastive.json', 'gpu.json'):
            if os.path.exists(os.path.join(args.trained, f)):
                shutil.copyfile(os.path.join(args.trained, f), os.path.join(work, f))
    budget = ['--minutes', str(args.minutes)] if args.minutes else ['--steps', STEPS]
    device = ['--device', args.device, '--threads', str(args.threads)]
    if not os.path.exists(os.path.join(work, 'checkpoint-sentence.pt')):
        if not os.path.exists(os.path.join(work, 'checkpoint.pt')):
            run(['nice', '-n', '5', py, s('pretrain.py'), *common, *ARCH, *PRETRAIN_ARGS, '--lr', LR, *budget,
                 *device, '--resume'], env)
        run(['nice', '-n', '5', py, s('contrastive.py'), *common, '--model-dir', tok_dir, *CONTRASTIVE_ARGS, *device,
             '--resume'], env)
    run([py, s('export.py'), *common, '--tokenizer-dir', tok_dir, '--model-dir', args.model_dir], env)
    run([py, s('compare_models.py'), *common, '--model', f'v2={args.model_dir}', '--random',
         f'v2-random={args.model_dir}'], env)
    if not args.skip_checks:
        # The shipped model and its random-weight twin (the page's tabtune-mini-random: the bundled folder with
        # every weight re-drawn), each fine-tuned with its command-line defaults.
        # The email checks run once per seed, because a run's seed alone moves them by up to 5 points
        # (scripts/pretrain/trials/2026-11-28-weight-averaging.md); the card shows the mean and each seed. About
        # 25 minutes a model on a 2-core machine.
        for model, out, only in ((args.model_dir, 'checks.json', 'emails,emails2,emails3,fortunes,sts'),
                                 ('tabtune-mini-random', 'checks-random.json', 'emails,emails2,emails3,fortunes,sts')):
            run(['npx', 'tsx', 'scripts/checks/realtext.ts', '--model', model, '--out', os.path.join(work, out),
                 '--only', only, '--seeds', '0,1,2'], env)
    run([py, s('make_card.py'), *common, '--model-dir', args.model_dir], env)


if __name__ == '__main__':
    main()
