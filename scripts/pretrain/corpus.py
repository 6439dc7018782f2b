"""Builds the tabtune-mini pretraining corpus from what Debian's apt can install, nothing else.

Sources (both English, both free to redistribute; see the model card for the licence texts):
  * WordNet 3.0 (Debian package `wordnet-base`, /usr/share/wordnet/data.*): every synset becomes one line,
    "lemma, lemma: gloss; "example"". WordNet 3.0 licence (permissive, notice must be kept).
  * Debian bookworm package descriptions (apt's Translation-en index, fetched by
    `apt-get update -o Acquire::Languages=en`): every paragraph of every long description, deduplicated.
    Each description is part of its package and under that package's licence (Debian main: all DFSG-free).

Output (in --out): train.txt and heldout.txt, one document per line; the held-out 1% is chosen by a hash of the
document text, so the split does not depend on the order sources are read in. Also sources.json with counts.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import unicodedata

WORDNET_DIR = '/usr/share/wordnet'
APT_LISTS = '/var/lib/apt/lists'


def ensure_sources() -> None:
    if not os.path.exists(os.path.join(WORDNET_DIR, 'data.noun')):
        subprocess.run(['apt-get', 'install', '-y', 'wordnet-base'], check=True,
                       env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'})
    if not glob.glob(os.path.join(APT_LISTS, '*Translation-en*')):
        # Docker images switch translations off (Acquire::Languages "none"); ask for English once.
        subprocess.run(['apt-get', 'update', '-o', 'Acquire::Languages=en'], check=True)


def clean(text: str) -> str:
    # Fold accents and odd punctuation to ASCII so the vocabulary is spent on words, not on rare glyphs.
    text = unicodedata.normalize('NFKD', text)
    text = ''.join(c for c in text if unicodedata.category(c) != 'Mn')
    text = text.replace('\u2019', "'").replace('\u2018', "'").replace('\u201c', '"').replace('\u201d', '"')
    text = text.encode('ascii', 'ignore').decode('ascii')
    return re.sub(r'\s+', ' ', text).strip()


def wordnet_docs():
    for pos in ('noun', 'verb', 'adj', 'adv'):
        with open(os.path.join(WORDNET_DIR, f'data.{pos}'), encoding='latin-1') as f:
            for line in f:
                if line.startswith('  '):  # licence header lines
                    continue
                head, _, gloss = line.partition('|')
                fields = head.split()
                n_words = int(fields[3], 16)
                lemmas = [fields[4 + 2 * i] for i in range(n_words)]
                lemmas = [re.sub(r'\(\w+\)$', '', w).replace('_', ' ') for w in lemmas]
                doc = clean(', '.join(lemmas) + ': ' + gloss)
                if doc:
                    yield doc


def debian_paragraphs():
    files = sorted(glob.glob(os.path.join(APT_LISTS, '*Translation-en*')))
    for path in files:
        raw = subprocess.run(['/usr/lib/apt/apt-helper', 'cat-file', path], check=True,
                             capture_output=True).stdout.decode('utf-8', 'replace')
        for stanza in raw.split('\n\n'):
            lines = stanza.split('\n')
            desc = []
            in_desc = False
            for ln in lines:
                if ln.startswith('Description-en:'):
                    in_desc = True
                    desc.append(ln[len('Description-en:'):].strip() + '.')
                elif in_desc and ln.startswith(' '):
                    desc.append(ln[1:])
                elif in_desc:
                    break
            # Long descriptions use " ." for blank lines: those separate paragraphs.
            para = []
            for ln in desc[1:] + ['.']:
                if ln.strip() == '.':
                    if para:
                        yield clean(' '.join(para))
                    para = []
                else:
                    para.append(ln.strip())
            if desc:
                yield clean(desc[0])


def keep(doc: str) -> bool:
    letters = sum(c.isalpha() for c in doc)
    return len(doc) >= 20 and letters >= 0.6 * len(doc) and 'http' not in doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='tmp/pretrain')
    ap.add_argument('--heldout-percent', type=int, default=1)
    args = ap.parse_args()
    ensure_sources()
    os.makedirs(args.out, exist_ok=True)
    seen = set()
    counts = {}
    train, held = [], []
    for source, docs in (('wordnet', wordnet_docs()), ('debian-descriptions', debian_paragraphs())):
        n = chars = 0
        for doc in docs:
            key = doc.lower()
            if key in seen or not keep(doc):
                continue
            seen.add(key)
            h = int(hashlib.sha1(doc.encode()).hexdigest()[:8], 16)
            (held if h % 100 < args.heldout_percent else train).append(doc)
            n += 1
            chars += len(doc)
        counts[source] = {'documents': n, 'characters': chars}
    with open(os.path.join(args.out, 'train.txt'), 'w') as f:
        f.write('\n'.join(train) + '\n')
    with open(os.path.join(args.out, 'heldout.txt'), 'w') as f:
        f.write('\n'.join(held) + '\n')
    summary = {'sources': counts, 'train_documents': len(train), 'heldout_documents': len(held),
               'train_characters': sum(map(len, train)), 'heldout_characters': sum(map(len, held))}
    with open(os.path.join(args.out, 'sources.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == '__main__':
    main()
