"""Trains the WordPiece vocabulary on train.txt, writes the tokenizer files into the model folder, and turns
train.txt / heldout.txt into token-id streams (uint16, documents separated by [SEP]) for pretraining."""
import argparse
import json
import os
import time

import numpy as np

import wordpiece


def encode_file(tok: wordpiece.WordPiece, path: str) -> np.ndarray:
    ids = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                ids.extend(tok.encode(line, special=False))
                ids.append(tok.sep)
    return np.asarray(ids, dtype=np.uint16)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--vocab-size', type=int, default=8192)
    ap.add_argument('--max-len', type=int, default=128)
    ap.add_argument('--vocab', help="reuse this vocab.txt instead of training one (continued pretraining keeps its "
                    "model's tokenizer)")
    args = ap.parse_args()
    t0 = time.time()
    if args.vocab:
        vocab = wordpiece.load_vocab(args.vocab)
    else:
        with open(os.path.join(args.work, 'train.txt')) as f:
            vocab = wordpiece.train_vocab(f, args.vocab_size)
        print(f'vocab {len(vocab)} in {time.time() - t0:.0f}s', flush=True)
    wordpiece.write_files(vocab, args.model_dir, args.max_len)
    tok = wordpiece.WordPiece(vocab)
    with open(os.path.join(args.work, 'vocab_size.txt'), 'w') as f:
        f.write(str(len(vocab)))
    stats = {}
    for split in ('train', 'heldout'):
        arr = encode_file(tok, os.path.join(args.work, f'{split}.txt'))
        np.save(os.path.join(args.work, f'{split}_ids.npy'), arr)
        stats[split] = {'tokens': int(arr.size), 'unk_fraction': float((arr == tok.unk).mean())}
    with open(os.path.join(args.work, 'tokens.json'), 'w') as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats), f'{time.time() - t0:.0f}s', flush=True)


if __name__ == '__main__':
    main()
