"""tabtune-mini end to end: corpus → vocabulary → tokenizer check → pretraining → hub files → fine-tuning comparison → model card.

usage: /usr/bin/python3 scripts/pretrain/run_all.py [--skip-pretrain]   (from the repository root)

The settings below are the ones the shipped model was trained with; the seed is fixed, so a rerun on the same
machine and libraries gives the same weights. Pretraining runs niced, on one thread, with OpenBLAS loaded for
this process only (Debian's torch otherwise uses the reference BLAS, about 20 times slower).
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-serial'
PRETRAIN_ARGS = ['--hidden', '192', '--layers', '4', '--heads', '4', '--batch', '32', '--seq', '128',
                 '--steps', '3300', '--lr', '1e-3', '--seed', '0', '--eval-every', '500', '--log-every', '25']


def run(cmd, env=None) -> None:
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--skip-pretrain', action='store_true', help='reuse tmp/pretrain/checkpoint.pt and metrics.json')
    ap.add_argument('--stop-after', default='0', help='passed to pretrain.py (see the model card)')
    args = ap.parse_args()
    py = sys.executable
    env = dict(os.environ)
    if not os.path.exists(os.path.join(OPENBLAS, 'libblas.so.3')):
        run(['apt-get', 'install', '-y', 'libopenblas0-serial'], env={**env, 'DEBIAN_FRONTEND': 'noninteractive'})
        # Installing switches the machine's default BLAS; keep others on what they had, use OpenBLAS here only.
        for name, ref in (('libblas.so.3-x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'),
                          ('liblapack.so.3-x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3')):
            if os.path.exists(ref):
                run(['update-alternatives', '--set', name, ref])
    env['LD_LIBRARY_PATH'] = OPENBLAS + (':' + env['LD_LIBRARY_PATH'] if env.get('LD_LIBRARY_PATH') else '')
    env['OPENBLAS_NUM_THREADS'] = '1'
    common = ['--work', args.work]
    s = lambda name: os.path.join(HERE, name)  # noqa: E731
    run([py, s('corpus.py'), '--out', args.work], env)
    run([py, s('tokenize_corpus.py'), *common, '--model-dir', args.model_dir], env)
    run([py, s('tokenizer_cases.py'), *common, '--model-dir', args.model_dir], env)
    run(['node', s('check_tokenizer.mjs'), args.work, args.model_dir], env)
    if not args.skip_pretrain:
        run(['nice', '-n', '19', py, s('pretrain.py'), *common, *PRETRAIN_ARGS,
             '--stop-after', args.stop_after], env)
    run([py, s('export.py'), *common, '--model-dir', args.model_dir], env)
    run([py, s('compare_finetune.py'), *common], env)
    run([py, s('make_card.py'), *common, '--model-dir', args.model_dir], env)


if __name__ == '__main__':
    main()
