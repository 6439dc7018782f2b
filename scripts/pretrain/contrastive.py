"""The sentence-embedding stage after MLM: trains tabtune-mini's mean-pooled embeddings, which MLM never trains and
which both the zero-shot "before" and the classifier read.

Contrastive learning with in-batch negatives (InfoNCE, symmetric, temperature --temperature), one pair type per
batch, in rotation:
  * package: a Debian package's one-line summary <-> the first paragraph of its long description;
  * wordnet: a synset's lemmas <-> its gloss and examples;
  * simcse: one corpus sentence twice, the two views differing only by dropout (SimCSE, Gao et al. 2021).
Pairs come from corpus.py's pairs.tsv (training documents only). An MLM term on windows of the training stream
(weight --mlm-weight) runs beside it, so the model keeps filling in [MASK] (the page asks it to).

Dev set for choosing the step count: the page's probe pairs (src/guards/probe-set.ts). The project's graded pairs
(test/fixtures/realtext/sts-pairs.tsv) are a test set and are only read by scripts/checks.

Resumable like pretrain.py: <work>/contrastive-resume.pt holds weights, optimizer, step and random state. Reads
<work>/checkpoint.pt (MLM), writes <work>/checkpoint-sentence.pt and <work>/contrastive.json.
"""
import argparse
import json
import os
import random
import re
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr

import wordpiece
from model import BertConfig, BertForMaskedLM
from pretrain import autocast, make_windows, mask_tokens, mlm_loss, save_atomic, lr_at

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAD, CLS, SEP = 0, 2, 3


def probe_pairs():
    """(a, b, score) of src/guards/probe-set.ts, read from its TypeScript source."""
    src = open(os.path.join(ROOT, 'src/guards/probe-set.ts')).read()
    pat = r"\{ a: '((?:[^'\\]|\\.)*)', b: '((?:[^'\\]|\\.)*)', score: ([\d.]+) \}"
    return [(a.replace("\\'", "'"), b.replace("\\'", "'"), float(s)) for a, b, s in re.findall(pat, src)]


def encode_cut(tok: wordpiece.WordPiece, text: str, max_len: int) -> list:
    """The first max_len ids of text, [SEP] last. A long description is split only up to a
    space (a word boundary, so the words before it split as in the whole text) far enough in to hold max_len
    tokens; if that prefix is short of them, the whole text is split."""
    r = None
    cut = text.find(' ', 8 * max_len) if len(text) > 8 * max_len else -1
    if cut > 0:
        r = tok.encode(text[:cut])
        r = r if len(r) > max_len else None
    r = (r or tok.encode(text))[:max_len]
    if r[-1] != SEP:
        r[-1] = SEP
    return r


def _encode_chunk(job):
    vocab_path, texts, max_len = job
    tok = wordpiece.WordPiece(wordpiece.load_vocab(vocab_path))
    return [encode_cut(tok, t, max_len) for t in texts]


def encode_all(vocab_path: str, texts, max_len: int, workers: int) -> list:
    """Tokenises every training text once, before the loop (on a GPU, splitting words in Python each step would
    cost more than the step), over several processes when there are cores to spare."""
    if workers <= 1 or len(texts) < 20000:
        return _encode_chunk((vocab_path, texts, max_len))
    import multiprocessing
    size = (len(texts) + workers * 4 - 1) // (workers * 4)
    chunks = [(vocab_path, texts[i:i + size], max_len) for i in range(0, len(texts), size)]
    with multiprocessing.get_context('fork').Pool(workers) as pool:
        return [r for part in pool.map(_encode_chunk, chunks) for r in part]


def pad_rows(rows):
    L = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), L, dtype=torch.long)
    mask = torch.zeros(len(rows), L, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask


def batch_ids(tok: wordpiece.WordPiece, texts, max_len: int):
    return pad_rows([encode_cut(tok, t, max_len) for t in texts])


def mean_pool(hidden, mask):
    """The mean of the vectors of every attended token, [CLS] and [SEP] included."""
    m = mask[:, :, None].float()
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def embed(model: BertForMaskedLM, ids, mask):
    """Mean pooling of the encoder's output, as sentence-transformers and the app do."""
    return mean_pool(model.bert(ids, mask).float(), mask)


@torch.no_grad()
def spearman_on(model, tok, pairs, max_len: int = 64) -> float:
    model.eval()
    a, am = batch_ids(tok, [p[0] for p in pairs], max_len)
    b, bm = batch_ids(tok, [p[1] for p in pairs], max_len)
    dev = next(model.parameters()).device
    cos = F.cosine_similarity(embed(model, a.to(dev), am.to(dev)), embed(model, b.to(dev), bm.to(dev))).cpu().numpy()
    model.train()
    return float(spearmanr(cos, [p[2] for p in pairs]).correlation)


def load_pairs(path: str):
    by_kind = {'package': [], 'wordnet': []}
    with open(path) as f:
        for line in f:
            kind, a, b = line.rstrip('\n').split('\t')
            by_kind[kind].append((a, b))
    return by_kind


def load_sentences(path: str, limit: int, rng: random.Random):
    # Sentences of 6 to 40 words from prose documents: SimCSE views of one sentence each.
    out = []
    with open(path) as f:
        for line in f:
            for s in re.split(r'(?<=[.!?]) ', line.strip()):
                if 6 <= len(s.split()) <= 40:
                    out.append(s)
    rng.shuffle(out)
    return out[:limit]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini', help='where the tokenizer (vocab.txt) is')
    ap.add_argument('--steps', type=int, default=600)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--max-len', type=int, default=64)
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--warmup', type=float, default=0.1)
    ap.add_argument('--temperature', type=float, default=0.05)
    ap.add_argument('--dropout', type=float, default=0.1)
    ap.add_argument('--mlm-weight', type=float, default=1.0)
    ap.add_argument('--mlm-batch', type=int, default=16)
    ap.add_argument('--kinds', default='package,wordnet,simcse')
    ap.add_argument('--sentences', default='',
                    help='file the SimCSE sentences are taken from (default <work>/train.txt; a GPU run carries a '
                         'smaller file of sentences instead of the whole corpus)')
    ap.add_argument('--init', default='', help='MLM checkpoint to start from (default <work>/checkpoint.pt)')
    ap.add_argument('--workers', type=int, default=1, help='processes that tokenise the pairs before training')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--precision', default='bf16', choices=['bf16', 'fp32'])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--checkpoint-minutes', type=float, default=3.0)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--stop-after', type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = args.device
    rng = random.Random(args.seed)
    np_rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)

    ck = torch.load(args.init or os.path.join(args.work, 'checkpoint.pt'), map_location='cpu', weights_only=False)
    cfg = BertConfig(**ck['config'])
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = args.dropout
    model = BertForMaskedLM(cfg)
    model.load_state_dict(ck['model'])
    model.to(device).train()
    vocab_path = os.path.join(args.model_dir, 'vocab.txt')
    tok = wordpiece.WordPiece(wordpiece.load_vocab(vocab_path))
    pairs = load_pairs(os.path.join(args.work, 'pairs.tsv'))
    sentences = load_sentences(args.sentences or os.path.join(args.work, 'train.txt'), args.steps * args.batch, rng)
    t0 = time.time()
    flat = [t for k in ('package', 'wordnet') for pair in pairs[k] for t in pair] + sentences
    ids = iter(encode_all(vocab_path, flat, args.max_len, args.workers))
    pair_ids = {k: [(next(ids), next(ids)) for _ in pairs[k]] for k in ('package', 'wordnet')}
    sentence_ids = [next(ids) for _ in sentences]
    print(f'tokenised {len(flat):,} texts in {time.time() - t0:.0f} s', flush=True)
    train = np.load(os.path.join(args.work, 'train_ids.npy'), mmap_mode='r')
    dev = probe_pairs()
    kinds = args.kinds.split(',')
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    resume_path = os.path.join(args.work, 'contrastive-resume.pt')
    state = {'step': 0, 'curve': [], 'evals': [], 'seconds': 0.0}
    if args.resume and os.path.exists(resume_path):
        r = torch.load(resume_path, map_location='cpu', weights_only=False)
        model.load_state_dict(r['model'])
        opt.load_state_dict(r['optimizer'])
        rng.setstate(r['py_rng'])
        np_rng.bit_generator.state = r['numpy_rng']
        gen.set_state(r['torch_rng'])
        torch.set_rng_state(r['torch_global_rng'])
        state = r['state']
        print(f'resumed at step {state["step"]}', flush=True)
    if not state['evals']:
        state['evals'].append({'step': 0, 'dev_spearman': spearman_on(model, tok, dev)})
        print('eval', state['evals'][-1], flush=True)

    warmup = max(1, int(args.warmup * args.steps))
    t_start = time.time() - state['seconds']
    last_save = time.time()
    while state['step'] < args.steps:
        step = state['step']
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, warmup, args.lr)
        kind = kinds[step % len(kinds)]
        if kind == 'simcse':
            rows = sentence_ids[(step * args.batch) % len(sentence_ids):][:args.batch]
            a_rows, b_rows = rows, rows
        else:
            chosen = [pair_ids[kind][rng.randrange(len(pair_ids[kind]))] for _ in range(args.batch)]
            a_rows, b_rows = [c[0] for c in chosen], [c[1] for c in chosen]
        a, am = pad_rows(a_rows)
        b, bm = pad_rows(b_rows)
        with autocast(device, args.precision):
            ea = embed(model, a.to(device), am.to(device))
            eb = embed(model, b.to(device), bm.to(device))
            sim = F.normalize(ea, dim=-1) @ F.normalize(eb, dim=-1).t() / args.temperature
            target = torch.arange(sim.shape[0], device=device)
            loss_c = (F.cross_entropy(sim.float(), target) + F.cross_entropy(sim.float().t(), target)) / 2
            loss = loss_c
            loss_m = torch.zeros(())
            if args.mlm_weight:
                starts = np_rng.integers(0, train.size - 126, size=args.mlm_batch)
                ids = make_windows(train, starts, 126)
                corrupted, selected, targets = mask_tokens(ids, cfg.vocab_size, gen)
                loss_m, _ = mlm_loss(model, corrupted.to(device), selected.to(device), targets.to(device))
                loss = loss + args.mlm_weight * loss_m
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state['step'] = done = step + 1
        state['seconds'] = time.time() - t_start
        state['curve'].append({'step': done, 'kind': kind, 'contrastive': round(float(loss_c), 4),
                               'mlm': round(float(loss_m), 4)})
        if done % 25 == 0:
            print(f'step {done}/{args.steps} {kind} contrastive {float(loss_c):.3f} mlm {float(loss_m):.3f} '
                  f'{state["seconds"] / max(1, done - 0):.2f}s/step', flush=True)
        if done % args.eval_every == 0 or done == args.steps:
            state['evals'].append({'step': done, 'dev_spearman': spearman_on(model, tok, dev),
                                   'seconds': round(state['seconds'], 1)})
            print('eval', state['evals'][-1], flush=True)
        stopping = args.stop_after and done >= args.stop_after
        if stopping or done == args.steps or time.time() - last_save > args.checkpoint_minutes * 60:
            save_atomic({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'py_rng': rng.getstate(),
                         'numpy_rng': np_rng.bit_generator.state, 'torch_rng': gen.get_state(),
                         'torch_global_rng': torch.get_rng_state(), 'state': state}, resume_path)
            last_save = time.time()
        if stopping:
            print(f'stopped after step {done}; --resume continues', flush=True)
            return
    model = model.float().cpu()
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    torch.save({'model': model.state_dict(), 'config': cfg.__dict__, 'step': ck['step'],
                'contrastive_steps': args.steps}, os.path.join(args.work, 'checkpoint-sentence.pt'))
    with open(os.path.join(args.work, 'contrastive.json'), 'w') as f:
        json.dump({'settings': {k: v for k, v in vars(args).items() if k not in ('work', 'resume', 'stop_after')},
                   'pairs': {k: len(v) for k, v in pairs.items()}, 'simcse_sentences': len(sentences),
                   'seconds': round(state['seconds']), 'evals': state['evals'], 'curve': state['curve'][::5]},
                  f, indent=1)


if __name__ == '__main__':
    main()
