"""A quick reading of a checkpoint while it trains: a linear probe (logistic regression) on its mean-pooled
embeddings for the real-text checks, and its graded-pair Spearman. Seconds, not the minutes a fine-tune takes, so it
can follow pretraining; the real figures come from scripts/checks/realtext.ts (tabtune's own fine-tuning).

usage: probe.py --checkpoint FILE.pt --vocab DIR/vocab.txt --emails-train GENERATED.jsonl
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

import wordpiece
from contrastive import batch_ids, embed
from model import BertConfig, BertForMaskedLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, 'test/fixtures/realtext')
EMAILS = os.path.join(ROOT, 'src/data/handwritten-emails.jsonl')


def read_chat(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    return [r['messages'][1]['content'] for r in rows], [r['messages'][2]['content'] for r in rows]


def fortune_folds(k: int = 5):
    """The fortunes topics as k (train, test) folds of (texts, labels), as scripts/checks/tasks.ts folds them."""
    texts, labels = read_chat(os.path.join(FIX, 'fortunes-topics.jsonl'))
    pick = lambda keep: ([t for i, t in enumerate(texts) if keep(i)], [l for i, l in enumerate(labels) if keep(i)])  # noqa: E731
    return [(pick(lambda i: i % k != f), pick(lambda i: i % k == f)) for f in range(k)]


@torch.no_grad()
def embed_all(model, tok, texts, max_len=64, batch=64):
    out = []
    for i in range(0, len(texts), batch):
        ids, mask = batch_ids(tok, texts[i:i + batch], max_len)
        out.append(F.normalize(embed(model, ids, mask), dim=-1))
    return torch.cat(out).numpy()


def probe(model, tok, train, test, C=1.0) -> float:
    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit(embed_all(model, tok, train[0]), train[1])
    return float((clf.predict(embed_all(model, tok, test[0])) == np.array(test[1])).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--checkpoint', help='a .pt from pretrain.py or contrastive.py')
    ap.add_argument('--vocab', help='with --checkpoint: its vocab.txt')
    ap.add_argument('--model-dir', help='or a model folder in the hub\'s files')
    ap.add_argument('--emails-train', required=True)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.model_dir:
        from compare_models import load
        _, model, tok = load(args.model_dir)
        res = {'model': args.model_dir}
    else:
        ck = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
        model = BertForMaskedLM(BertConfig(**ck['config']))
        model.load_state_dict(ck['model'])
        model.eval()
        tok = wordpiece.WordPiece(wordpiece.load_vocab(args.vocab))
        res = {'step': ck.get('step', ck.get('state', {}).get('step'))}
    res['emails'] = probe(model, tok, read_chat(args.emails_train), read_chat(EMAILS))
    res['fortunes'] = float(np.mean([probe(model, tok, tr, te) for tr, te in fortune_folds()]))
    rows = [line.rstrip('\n').split('\t') for line in open(os.path.join(FIX, 'sts-pairs.tsv'))][1:]
    a = embed_all(model, tok, [r[1] for r in rows])
    b = embed_all(model, tok, [r[2] for r in rows])
    res['sts'] = float(spearmanr((a * b).sum(1), [float(r[0]) for r in rows]).correlation)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
