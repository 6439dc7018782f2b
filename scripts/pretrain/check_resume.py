"""Checks that pretrain.py and contrastive.py resume exactly: a tiny model trained N steps in one go, and the same
run stopped part-way and continued with --resume, must end with identical weights (max |difference| = 0).

usage: /usr/bin/python3 scripts/pretrain/check_resume.py --work tmp/pretrain   (after corpus.py and
tokenize_corpus.py; it reads the token streams, pairs.tsv, train.txt and the tokenizer from there)
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = ['--hidden', '64', '--layers', '2', '--heads', '2', '--batch', '8', '--steps', '20', '--eval-every', '10',
        '--eval-windows', '8', '--log-every', '5', '--threads', '1']
CON = ['--steps', '12', '--batch', '16', '--eval-every', '6', '--threads', '1']


def run(args) -> None:
    subprocess.run([sys.executable, *args], check=True, cwd=HERE, stdout=subprocess.DEVNULL)


def max_diff(a: str, b: str) -> float:
    x, y = torch.load(a, weights_only=False)['model'], torch.load(b, weights_only=False)['model']
    return max(float((x[k] - y[k]).abs().max()) for k in x)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    args = ap.parse_args()
    src = os.path.abspath(args.work)
    tok = os.path.join(src, 'tokenizer')
    dirs = [tempfile.mkdtemp(), tempfile.mkdtemp()]
    for d in dirs:
        for f in ('train_ids.npy', 'heldout_ids.npy', 'vocab_size.txt', 'pairs.tsv', 'train.txt'):
            os.symlink(os.path.join(src, f), os.path.join(d, f))
    whole, parts = dirs
    run(['pretrain.py', '--work', whole, *TINY])
    run(['pretrain.py', '--work', parts, *TINY, '--stop-after', '7'])
    run(['pretrain.py', '--work', parts, *TINY, '--resume'])
    d1 = max_diff(os.path.join(whole, 'checkpoint.pt'), os.path.join(parts, 'checkpoint.pt'))
    run(['contrastive.py', '--work', whole, '--model-dir', tok, *CON])
    run(['contrastive.py', '--work', parts, '--model-dir', tok, *CON, '--stop-after', '5'])
    run(['contrastive.py', '--work', parts, '--model-dir', tok, *CON, '--resume'])
    d2 = max_diff(os.path.join(whole, 'checkpoint-sentence.pt'), os.path.join(parts, 'checkpoint-sentence.pt'))
    for d in dirs:
        shutil.rmtree(d)
    print(f'pretrain resume: max |difference| {d1}; contrastive resume: max |difference| {d2}')
    sys.exit(0 if d1 == 0 and d2 == 0 else 1)


if __name__ == '__main__':
    main()
