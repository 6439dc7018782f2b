"""Masked-language-model pretraining of tabtune-mini on the token streams from tokenize_corpus.py.

Batches are windows at random offsets in the training stream (documents separated by [SEP], RoBERTa-style
packing), each wrapped in [CLS] … [SEP]. 15% of the non-special tokens are selected; of those 80% become
[MASK], 10% a random token, 10% stay; the loss is cross-entropy at the selected positions only, so the
8k-wide decoder runs on 15% of the tokens. AdamW, linear warmup then linear decay to zero, gradient clipping,
fixed seed, one thread.

Writes into --work: metrics.json (loss curve, held-out evaluations, settings) and checkpoint.pt; the hub files
are written by export.py.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import BertConfig, BertForMaskedLM

N_SPECIAL = 5  # ids 0..4 are [PAD] [UNK] [CLS] [SEP] [MASK]
PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4


def make_windows(stream: np.ndarray, starts: np.ndarray, inner: int) -> torch.Tensor:
    idx = starts[:, None] + np.arange(inner)[None, :]
    body = torch.from_numpy(stream[idx].astype(np.int64))
    n = body.shape[0]
    return torch.cat([torch.full((n, 1), CLS), body, torch.full((n, 1), SEP)], dim=1)


def mask_tokens(ids: torch.Tensor, vocab_size: int, gen: torch.Generator, rate: float = 0.15):
    """BERT's 80/10/10 corruption. Returns (corrupted ids, selected positions mask, original ids)."""
    maskable = ids >= N_SPECIAL
    selected = (torch.rand(ids.shape, generator=gen) < rate) & maskable
    r = torch.rand(ids.shape, generator=gen)
    corrupted = ids.clone()
    corrupted[selected & (r < 0.8)] = MASK
    rand_pos = selected & (r >= 0.8) & (r < 0.9)
    corrupted[rand_pos] = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=gen)[rand_pos]
    return corrupted, selected, ids


def mlm_loss(model: BertForMaskedLM, corrupted, selected, targets):
    hidden = model.bert(corrupted, torch.ones_like(corrupted))
    logits = model.logits_at(hidden[selected])
    return F.cross_entropy(logits, targets[selected]), logits


@torch.no_grad()
def evaluate(model, heldout: np.ndarray, inner: int, max_windows: int, vocab_size: int, unigram_id: int,
             batch: int = 64):
    """Masked-token accuracy on held-out windows with a fixed masking seed (the same positions every time)."""
    model.eval()
    n = min(max_windows, (heldout.size - 1) // inner)
    starts = np.arange(n) * inner
    gen = torch.Generator().manual_seed(1234)
    tot_loss = correct = top5 = unigram = count = 0
    for b in range(0, n, batch):
        ids = make_windows(heldout, starts[b:b + batch], inner)
        corrupted, selected, targets = mask_tokens(ids, vocab_size, gen)
        loss, logits = mlm_loss(model, corrupted, selected, targets)
        t = targets[selected]
        k = int(selected.sum())
        tot_loss += float(loss) * k
        correct += int((logits.argmax(-1) == t).sum())
        top5 += int((logits.topk(5, -1).indices == t[:, None]).any(-1).sum())
        unigram += int((t == unigram_id).sum())
        count += k
    model.train()
    return {'loss': tot_loss / count, 'accuracy': correct / count, 'top5_accuracy': top5 / count,
            'unigram_accuracy': unigram / count, 'masked_tokens': count, 'windows': n}


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--seq', type=int, default=128, help='window length including [CLS] and [SEP]')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=float, default=0.06, help='fraction of steps')
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--dropout', type=float, default=0.0,
                    help='dropout while pretraining (the model sees each token about once, so none is needed); '
                         'config.json still says 0.1 for fine-tuning, as BERT does')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--log-every', type=int, default=25)
    ap.add_argument('--eval-every', type=int, default=500)
    ap.add_argument('--eval-windows', type=int, default=256)
    ap.add_argument('--deadline-minutes', type=float, default=0,
                    help='stop early (and still save) if training runs past this; 0 = no deadline')
    ap.add_argument('--stop-after', type=int, default=0,
                    help='stop after this many steps, keeping the --steps schedule (to replay a run that hit its '
                         'deadline); 0 = run all --steps')
    ap.add_argument('--bench', type=int, default=0, help='time this many steps and exit')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    train = np.load(os.path.join(args.work, 'train_ids.npy'))
    heldout = np.load(os.path.join(args.work, 'heldout_ids.npy'))
    with open(os.path.join(args.work, 'vocab_size.txt')) as f:
        vocab_size = int(f.read())
    counts = np.bincount(train, minlength=vocab_size)
    counts[:N_SPECIAL] = 0
    unigram_id = int(counts.argmax())

    cfg = BertConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                     num_attention_heads=args.heads, intermediate_size=4 * args.hidden,
                     max_position_embeddings=max(128, args.seq), hidden_dropout_prob=args.dropout,
                     attention_probs_dropout_prob=args.dropout)
    model = BertForMaskedLM(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and 'embeddings' not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and 'embeddings' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    inner = args.seq - 2
    warmup = max(1, int(args.warmup * args.steps))
    print(f'params {n_params:,}  train tokens {train.size:,}  heldout tokens {heldout.size:,}  '
          f'unigram token {unigram_id}', flush=True)

    curve, evals = [], []
    t0 = time.time()
    window_loss = []
    steps_done = 0
    for step in range(args.steps if not args.bench else args.bench):
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, warmup, args.lr)
        starts = rng.integers(0, train.size - inner, size=args.batch)
        ids = make_windows(train, starts, inner)
        corrupted, selected, targets = mask_tokens(ids, vocab_size, gen)
        loss, _ = mlm_loss(model, corrupted, selected, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        window_loss.append(float(loss))
        steps_done = step + 1
        if steps_done % args.log_every == 0 or steps_done == 1:
            elapsed = time.time() - t0
            curve.append({'step': steps_done, 'loss': float(np.mean(window_loss)), 'lr': opt.param_groups[0]['lr'],
                          'seconds': round(elapsed, 1)})
            window_loss = []
            print(f'step {steps_done} loss {curve[-1]["loss"]:.4f} lr {curve[-1]["lr"]:.2e} '
                  f'{elapsed / steps_done:.3f}s/step', flush=True)
        if not args.bench and (steps_done % args.eval_every == 0):
            ev = evaluate(model, heldout, inner, args.eval_windows, vocab_size, unigram_id)
            ev['step'] = steps_done
            evals.append(ev)
            print('eval', json.dumps(ev), flush=True)
            torch.save({'model': model.state_dict(), 'config': cfg.__dict__, 'step': steps_done},
                       os.path.join(args.work, 'checkpoint.pt'))
        if args.stop_after and steps_done >= args.stop_after:
            break
        if args.deadline_minutes and time.time() - t0 > args.deadline_minutes * 60:
            print(f'deadline reached at step {steps_done}', flush=True)
            break
    train_seconds = time.time() - t0
    if args.bench:
        print(f'bench: {train_seconds / args.bench:.3f} s/step at batch {args.batch}x{args.seq}, '
              f'{n_params:,} params', flush=True)
        return

    final = evaluate(model, heldout, inner, 10 ** 9, vocab_size, unigram_id)
    final['step'] = steps_done
    print('final eval', json.dumps(final), flush=True)
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    torch.save({'model': model.state_dict(), 'config': cfg.__dict__, 'step': steps_done},
               os.path.join(args.work, 'checkpoint.pt'))
    settings = {k: v for k, v in vars(args).items() if k not in ('bench', 'work')}
    with open(os.path.join(args.work, 'metrics.json'), 'w') as f:
        json.dump({'settings': settings, 'params': n_params, 'steps_done': steps_done,
                   'train_seconds': round(train_seconds), 'train_tokens': int(train.size),
                   'tokens_seen': steps_done * args.batch * args.seq, 'unigram_token_id': unigram_id,
                   'curve': curve, 'evals': evals, 'final': final}, f, indent=1)


if __name__ == '__main__':
    main()
