"""Masked-token accuracy of shipped model folders on the same held-out documents, for the model card's table.

Each model is read from its hub files (model.safetensors, config.json, vocab.txt) and tokenises the held-out text
with its own vocabulary, so accuracies are over each model's own tokens: compare each with its own
most-frequent-token baseline (the share of masked positions whose answer is the commonest training token).

usage: compare_models.py --work DIR --model NAME=DIR [--model NAME=DIR ...] [--random NAME=DIR]
writes <work>/mlm_compare.json
"""
import argparse
import json
import os

import numpy as np
import torch

import wordpiece
from export import read_safetensors
from model import BertConfig, BertForMaskedLM
from pretrain import evaluate, N_SPECIAL
from tokenize_corpus import encode_file


def load(model_dir: str, random_weights: bool = False):
    cfg_json = json.load(open(os.path.join(model_dir, 'config.json')))
    fields = BertConfig.__dataclass_fields__
    cfg = BertConfig(**{k: v for k, v in cfg_json.items() if k in fields})
    model = BertForMaskedLM(cfg)
    if not random_weights:
        missing, unexpected = model.load_state_dict(read_safetensors(os.path.join(model_dir, 'model.safetensors')),
                                                    strict=False)
        assert not unexpected and all(m.startswith('bert.pooler.') for m in missing), (missing, unexpected)
    model.eval()
    tok = wordpiece.WordPiece(wordpiece.load_vocab(os.path.join(model_dir, 'vocab.txt')))
    return cfg, model, tok


def unigram_id(tok, path: str) -> int:
    counts = np.bincount(encode_file(tok, path), minlength=len(tok.vocab))
    counts[:N_SPECIAL] = 0
    return int(counts.argmax())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model', action='append', default=[], help='NAME=DIR')
    ap.add_argument('--random', action='append', default=[], help='NAME=DIR: that architecture, random weights')
    ap.add_argument('--unigram-sample', type=int, default=20000,
                    help='training documents read to find each tokenizer\'s most frequent token')
    args = ap.parse_args()
    torch.manual_seed(0)
    heldout = os.path.join(args.work, 'heldout.txt')
    sample = os.path.join(args.work, 'unigram_sample.txt')
    with open(os.path.join(args.work, 'train.txt')) as f, open(sample, 'w') as out:
        for i, line in enumerate(f):
            if i % 25 == 0:
                out.write(line)
            if i // 25 >= args.unigram_sample:
                break
    results = {}
    for spec, rnd in [(m, False) for m in args.model] + [(m, True) for m in args.random]:
        name, model_dir = spec.split('=', 1)
        cfg, model, tok = load(model_dir, rnd)
        stream = encode_file(tok, heldout)
        res = evaluate(model, stream, 126, 10 ** 9, cfg.vocab_size, unigram_id(tok, sample))
        res['vocab_size'] = cfg.vocab_size
        results[name] = res
        print(name, json.dumps(res), flush=True)
    with open(os.path.join(args.work, 'mlm_compare.json'), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
