"""Writes test/fixtures/realtext/fortunes-topics.jsonl: a real-text topic task from Debian's `fortunes` package
(/usr/share/games/fortunes), which the tabtune-mini pretraining corpus does not contain (scripts/pretrain/sources.py).

Five of fortune's own categories, whose files say what a quote is about: computers, food, law, politics, sports.
Each quote is one example (chat JSONL, the label as the assistant's answer). The "-- Author" attribution is cut,
so a label is not learnt from who said it; quotes shorter than 30 or longer than 1000 characters are skipped; at
most PER_CLASS quotes per topic, taken in a seeded random order so the set is balanced and reproducible.

usage: /usr/bin/python3 scripts/checks/make_fortunes.py   (needs `apt-get install fortunes`)
"""
import json
import os
import random
import re
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORTUNES = '/usr/share/games/fortunes'
TOPICS = ['computers', 'food', 'law', 'politics', 'sports']
PER_CLASS = 140
SYSTEM = 'You are a topic classifier.'


def quotes(topic: str):
    with open(os.path.join(FORTUNES, topic), encoding='utf-8', errors='replace') as f:
        raw = f.read()
    for q in raw.split('\n%\n'):
        q = re.split(r'\n\s*--\s*\S|\s+--\s+[A-Z][^\n]*$', q.strip())[0]  # drop the attribution
        q = unicodedata.normalize('NFKC', ' '.join(q.split()))
        if 30 <= len(q) <= 1000:
            yield q


def main() -> None:
    rng = random.Random(0)
    rows, seen = [], set()
    for topic in TOPICS:
        qs = [q for q in quotes(topic) if not (q.lower() in seen or seen.add(q.lower()))]
        rng.shuffle(qs)
        rows += [(q, topic) for q in qs[:PER_CLASS]]
    rng.shuffle(rows)
    out = os.path.join(ROOT, 'test/fixtures/realtext/fortunes-topics.jsonl')
    with open(out, 'w') as f:
        for text, topic in rows:
            f.write(json.dumps({'messages': [{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': text},
                                             {'role': 'assistant', 'content': topic}]}) + '\n')
    print(out, {t: sum(1 for _, x in rows if x == t) for t in TOPICS})


if __name__ == '__main__':
    main()
