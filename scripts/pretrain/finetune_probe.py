"""A fast stand-in for tabtune's fine-tuning, to compare base models and recipes in seconds while pretraining
runs: LoRA on chosen Linear modules (or full fine-tuning) + a Linear head on the mean-pooled embedding, AdamW,
the run settings of src/config.ts. It is PyTorch, not the app's tfjs loop, so its figures rank candidates; the
figures a model card reports come from scripts/checks/realtext.ts.

usage: finetune_probe.py (--model-dir DIR | --checkpoint FILE.pt --vocab vocab.txt) --emails-train GEN.jsonl
       [--max-len 64] [--lr 2e-3] [--epochs 3] [--method lora|full] [--targets query,value] [--seeds 0,1]
       [--word-drop 0.1] [--train-embeddings [--emb-lr 1e-3]]
       [--method frozen] [--features encoder|bag|both] [--keep-layers K] [--embeddings-from-twin]

Diagnostics (scripts/pretrain/trials/2026-11-27-what-the-layers-are-worth.md): --method frozen trains only the head
(and the word embeddings with --train-embeddings); --features bag feeds the head the mean of the input word
embeddings instead of the encoder's mean-pooled output (a fastText-style bag of words); --keep-layers K keeps the
first K encoder layers; --embeddings-from-twin swaps in the other model's word embeddings (the random twin's into
the pretrained model, or, with --random, the pretrained ones into the twin); --features both feeds the head the encoder
output and the bag side by side (scripts/pretrain/trials/2026-11-27-a-web-trained-teacher.md). --device cuda runs
it on a GPU.
"""
import argparse
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import wordpiece
from contrastive import batch_ids, embed
from model import BertConfig, BertForMaskedLM
from probe import EMAILS, fortune_folds, read_chat


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.a.t() @ self.b.t()) * self.scale


def with_lora(model, targets, r, alpha, dropout):
    for p in model.parameters():
        p.requires_grad_(False)
    for name, mod in list(model.named_modules()):
        for child_name, child in list(mod.named_children()):
            full = f'{name}.{child_name}' if name else child_name
            if isinstance(child, nn.Linear) and child_name in targets and '.encoder.' in f'.{full}':
                setattr(mod, child_name, LoraLinear(child, r, alpha, dropout))
    return model


def drop_words(text, rng, p):
    """Word dropout (EDA's random deletion): each word kept with probability 1 - p, at least one kept."""
    words = text.split()
    kept = [w for w in words if rng.random() >= p]
    return ' '.join(kept) if kept else words[int(rng.integers(len(words)))] if words else text


def features(model, ids, mask, kind):
    if kind == 'encoder':
        return embed(model, ids, mask)
    m = mask[:, :, None].float()
    bag = (model.bert.embeddings.word_embeddings(ids).float() * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return bag if kind == 'bag' else torch.cat([embed(model, ids, mask), bag], -1)


def finetune(base, tok, train, test, *, method, targets, r, lr, epochs, batch, max_len, seed, word_drop=0.0,
             train_embeddings=False, emb_lr=None, kind='encoder', device='cpu'):
    torch.manual_seed(seed)
    model = copy.deepcopy(base)
    if method == 'lora':
        with_lora(model, targets, r, 2 * r, 0.1)
    elif method == 'frozen':
        for p in model.parameters():
            p.requires_grad_(False)
    model.to(device)  # after with_lora, whose adapter parameters are made on the CPU
    words = model.bert.embeddings.word_embeddings.weight
    if train_embeddings:
        # PEFT's modules_to_save on the word embeddings: LoRA on the layers, the embedding matrix trained whole.
        words.requires_grad_(True)
    labels = sorted(set(train[1]))
    head = nn.Linear(words.shape[1] * (2 if kind == 'both' else 1), len(labels))
    nn.init.normal_(head.weight, 0, 0.02)
    nn.init.zeros_(head.bias)
    head.to(device)
    rest = [p for p in model.parameters() if p.requires_grad and p is not words] + list(head.parameters())
    groups = [{'params': rest}]
    if words.requires_grad:
        groups.append({'params': [words], 'lr': emb_lr if emb_lr is not None else lr, 'weight_decay': 0.0})
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.01)
    y = torch.tensor([labels.index(l) for l in train[1]], device=device)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(train[0]))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            texts = [train[0][j] for j in idx]
            if word_drop > 0:
                texts = [drop_words(t, rng, word_drop) for t in texts]
            ids, mask = (t.to(device) for t in batch_ids(tok, texts, max_len))
            with torch.autocast('cuda' if device == 'cuda' else 'cpu', dtype=torch.bfloat16):
                loss = F.cross_entropy(head(features(model, ids, mask, kind)).float(), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(test[0]), 64):
            ids, mask = (t.to(device) for t in batch_ids(tok, test[0][i:i + 64], max_len))
            preds += head(features(model, ids, mask, kind)).argmax(-1).tolist()
    return float(np.mean([labels[p] == t for p, t in zip(preds, test[1])]))


def load_any(args):
    if args.model_dir:
        from compare_models import load
        _, model, tok = load(args.model_dir, random_weights=args.random)
        if getattr(args, 'embeddings_from_twin', False):
            _, other, _ = load(args.model_dir, random_weights=not args.random)
            with torch.no_grad():
                model.bert.embeddings.word_embeddings.weight.copy_(other.bert.embeddings.word_embeddings.weight)
        if getattr(args, 'embeddings_from', None):
            vectors = torch.from_numpy(np.load(args.embeddings_from)).float()
            with torch.no_grad():
                model.bert.embeddings.word_embeddings.weight.copy_(vectors)
        if getattr(args, 'keep_layers', -1) >= 0:
            model.bert.encoder.layer = model.bert.encoder.layer[:args.keep_layers]
        return model, tok
    ck = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
    cfg = BertConfig(**ck['config'])
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    model = BertForMaskedLM(cfg)
    model.load_state_dict(ck['model'])
    return model, wordpiece.WordPiece(wordpiece.load_vocab(args.vocab))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--model-dir')
    ap.add_argument('--random', action='store_true', help='with --model-dir: the same shape, weights re-drawn')
    ap.add_argument('--checkpoint')
    ap.add_argument('--vocab')
    ap.add_argument('--emails-train', required=True)
    ap.add_argument('--method', default='lora')
    ap.add_argument('--targets', default='query,value')
    ap.add_argument('--r', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--max-len', type=int, default=64)
    ap.add_argument('--seeds', default='0,1')
    ap.add_argument('--fortunes', action='store_true', help='also the fortunes topics, 5-fold')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--word-drop', type=float, default=0.0, help='drop each training word with this probability, per epoch')
    ap.add_argument('--train-embeddings', action='store_true', help='with --method lora or frozen: train the word embeddings too')
    ap.add_argument('--emb-lr', type=float, help='the word embeddings\' learning rate (default: --lr)')
    ap.add_argument('--features', default='encoder', choices=['encoder', 'bag', 'both'],
                    help='what the head reads: the mean-pooled encoder output, the mean of the input word embeddings, '
                         'or both side by side')
    ap.add_argument('--keep-layers', type=int, default=-1, help='keep only the first K encoder layers')
    ap.add_argument('--embeddings-from-twin', action='store_true',
                    help='with --model-dir: the word embeddings of the other model (pretrained ↔ random twin)')
    ap.add_argument('--embeddings-from', help='with --model-dir: word embeddings from this .npy (vocabulary × hidden)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, tok = load_any(args)
    kw = dict(method=args.method, targets=args.targets.split(','), r=args.r, lr=args.lr, epochs=args.epochs,
              batch=args.batch, max_len=args.max_len, word_drop=args.word_drop,
              train_embeddings=args.train_embeddings, emb_lr=args.emb_lr, kind=args.features, device=args.device)
    train, test = read_chat(args.emails_train), read_chat(EMAILS)
    seeds = [int(s) for s in args.seeds.split(',')]
    res = {'emails': [finetune(model, tok, train, test, seed=s, **kw) for s in seeds]}
    if args.fortunes:
        res['fortunes'] = float(np.mean([finetune(model, tok, tr, te, seed=0, **kw) for tr, te in fortune_folds()]))
    res['emails_mean'] = float(np.mean(res['emails']))
    print(json.dumps({**{k: v for k, v in vars(args).items() if v not in (None, False)}, **res}))


if __name__ == '__main__':
    main()
