"""Writes 50 held-out sentences with the ids this repository's Python WordPiece gives them, for
check_tokenizer.mjs to compare against @xenova/transformers' BertTokenizer reading tokenizer.json."""
import argparse
import json
import os

import wordpiece


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--n', type=int, default=50)
    args = ap.parse_args()
    tok = wordpiece.WordPiece(wordpiece.load_vocab(os.path.join(args.model_dir, 'vocab.txt')))
    with open(os.path.join(args.work, 'heldout.txt')) as f:
        docs = [d.strip() for d in f if d.strip()]
    # Every 50th document, so both sources and a spread of lengths appear; plus a few hand-made edge cases
    # (accents, curly quotes, CJK, control characters, an over-long word) that exercise the normaliser.
    step = max(1, len(docs) // args.n)
    texts = docs[::step][:args.n]
    texts += ['Caf\u00e9 na\u00efve \u00c9cole \u2014 \u201cquoted\u201d text', '\u6f22\u5b57 and kana \u304b\u306a',
              'tab\there\x07bell', 'x' * 120 + ' end', "don't stop-believing (1999)!"]
    cases = [{'text': t, 'ids': tok.encode(t)} for t in texts]
    out = os.path.join(args.work, 'tokenizer_cases.json')
    with open(out, 'w') as f:
        json.dump(cases, f, ensure_ascii=False)
    print(f'{len(cases)} cases -> {out}')


if __name__ == '__main__':
    main()
