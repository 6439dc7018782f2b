"""Masked-language-model pretraining of tabtune-mini on the token streams from tokenize_corpus.py.

Batches are windows at random offsets in the training stream (documents separated by [SEP], RoBERTa-style
packing), each wrapped in [CLS] … [SEP]. 15% of the non-special tokens are selected; of those 80% become
[MASK], 10% a random token, 10% stay; the loss is cross-entropy at the selected positions only, so the
vocabulary-wide decoder runs on 15% of the tokens. AdamW, linear warmup then linear decay to zero, gradient
clipping, fixed seed; bf16 products with fp32 weights (CPU with AVX512-BF16, or CUDA with --device cuda).

Resumable: every --checkpoint-minutes, <work>/resume.pt gets the weights, the optimizer, the step and step count,
and the data and masking random states; --resume continues from it and ends with the weights an uninterrupted run
ends with. --minutes sets the step count from the speed measured over the first steps (on a throwaway copy), and
the count is kept in resume.pt, so a resumed run keeps its schedule.

Writes into --work: metrics.json (loss curve, held-out evaluations with minutes and tokens seen, settings) and
checkpoint.pt at the end; the hub files are written by export.py.
"""
import argparse
import contextlib
import copy
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
    # fp32 for the softmax: under CPU bf16 autocast torch 1.13 runs a bf16 log_softmax several times slower.
    logits = logits.float()
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
        dev = next(model.parameters()).device
        corrupted, selected, targets = corrupted.to(dev), selected.to(dev), targets.to(dev)
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


def autocast(device: str, precision: str):
    # bf16 products with fp32 weights and optimizer state. On this project's CPUs (AVX512-BF16) oneDNN's bf16
    # matmul measured 556 GFLOP/s against 20 for fp32 on 2 threads, and a whole step ran 2.5x faster.
    if precision == 'fp32':
        return contextlib.nullcontext()
    return torch.autocast('cuda' if device == 'cuda' else 'cpu', dtype=torch.bfloat16)


def save_atomic(obj, path: str) -> None:
    # A run killed mid-write must leave the previous checkpoint intact.
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def build(args, vocab_size: int, device: str):
    cfg = BertConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                     num_attention_heads=args.heads, intermediate_size=args.intermediate or 4 * args.hidden,
                     max_position_embeddings=max(128, args.seq), hidden_dropout_prob=args.dropout,
                     attention_probs_dropout_prob=args.dropout)
    torch.manual_seed(args.seed)
    model = BertForMaskedLM(cfg).to(device)
    named = list(model.named_parameters())
    decay = [p for n, p in named if p.dim() >= 2 and 'embeddings' not in n]
    no_decay = [p for n, p in named if not (p.dim() >= 2 and 'embeddings' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    return cfg, model, opt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--steps', type=int, default=0, help='total optimizer steps (0: derived from --minutes)')
    ap.add_argument('--minutes', type=float, default=0,
                    help='time budget: the step count is set from the speed measured over the first steps and '
                         'recorded in the checkpoint, so a resumed run keeps the same schedule')
    ap.add_argument('--device', default='cpu', help='cpu or cuda')
    ap.add_argument('--precision', default='bf16', choices=['bf16', 'fp32'],
                    help='bf16 autocast (fp32 master weights) or plain fp32')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--seq', type=int, default=128, help='window length including [CLS] and [SEP]')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=float, default=0.06, help='fraction of steps')
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--intermediate', type=int, default=0, help='0: 4 x hidden')
    ap.add_argument('--dropout', type=float, default=0.0,
                    help='dropout while pretraining (the model sees each token about once, so none is needed); '
                         'config.json still says 0.1 for fine-tuning, as BERT does')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--log-every', type=int, default=25)
    ap.add_argument('--eval-every', type=int, default=500)
    ap.add_argument('--eval-windows', type=int, default=256)
    ap.add_argument('--checkpoint-minutes', type=float, default=3.0,
                    help='save a resumable checkpoint (weights, optimizer, step, data and random state) this often')
    ap.add_argument('--resume', action='store_true', help='continue from <work>/resume.pt if it exists')
    ap.add_argument('--init', help='start from the weights of this checkpoint.pt or model folder in the hub\'s files '
                    '(continued pretraining on another corpus with the same tokenizer: a fresh optimizer and schedule, '
                    'the shape taken from it)')
    ap.add_argument('--stop-after', type=int, default=0,
                    help='stop (and save a resumable checkpoint) after this many steps, keeping the schedule')
    ap.add_argument('--bench', type=int, default=0, help='time this many steps and exit')
    args = ap.parse_args()

    device = args.device
    if device == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.set_num_threads(args.threads)
    resume_path = os.path.join(args.work, 'resume.pt')

    train = np.load(os.path.join(args.work, 'train_ids.npy'), mmap_mode='r')
    heldout = np.load(os.path.join(args.work, 'heldout_ids.npy'))
    with open(os.path.join(args.work, 'vocab_size.txt')) as f:
        vocab_size = int(f.read())
    counts = np.bincount(np.asarray(train[: 5_000_000]), minlength=vocab_size)
    counts[:N_SPECIAL] = 0
    unigram_id = int(counts.argmax())

    if args.init:
        if os.path.isdir(args.init):
            from compare_models import load
            init_cfg, init_model, _ = load(args.init)
            init = {'config': init_cfg.__dict__, 'model': init_model.state_dict()}
        else:
            init = torch.load(args.init, map_location='cpu', weights_only=False)
        c = init['config']
        args.hidden, args.layers, args.heads = c['hidden_size'], c['num_hidden_layers'], c['num_attention_heads']
        args.intermediate = c['intermediate_size']
        if c['vocab_size'] != vocab_size:
            raise SystemExit(f'--init has vocabulary {c["vocab_size"]}, the corpus {vocab_size}: tokenise it with '
                             f'that checkpoint\'s tokenizer (tokenize_corpus.py --vocab)')
    cfg, model, opt = build(args, vocab_size, device)
    if args.init:
        model.load_state_dict(init['model'])
    n_params = sum(p.numel() for p in model.parameters())
    inner = args.seq - 2
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    state = {'step': 0, 'total': args.steps, 'curve': [], 'evals': [], 'seconds': 0.0, 'window_loss': []}
    if args.resume and os.path.exists(resume_path):
        ck = torch.load(resume_path, map_location='cpu', weights_only=False)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        rng.bit_generator.state = ck['numpy_rng']
        gen.set_state(ck['torch_rng'])
        state = ck['state']
        print(f'resumed at step {state["step"]} of {state["total"]} ({state["seconds"] / 60:.1f} min done)',
              flush=True)
    print(f'params {n_params:,}  train tokens {train.size:,}  heldout tokens {heldout.size:,}  '
          f'unigram token {unigram_id}  device {device}', flush=True)

    def one_step(step: int, total: int) -> float:
        warmup = max(1, int(args.warmup * total))
        for g in opt.param_groups:
            g['lr'] = lr_at(step, total, warmup, args.lr)
        starts = rng.integers(0, train.size - inner, size=args.batch)
        ids = make_windows(train, starts, inner)
        corrupted, selected, targets = mask_tokens(ids, vocab_size, gen)
        corrupted, selected, targets = corrupted.to(device), selected.to(device), targets.to(device)
        with autocast(device, args.precision):
            loss, _ = mlm_loss(model, corrupted, selected, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return float(loss)

    if args.bench:
        t0 = time.time()
        for step in range(args.bench):
            one_step(step, max(args.bench, 100))
        dt = (time.time() - t0) / args.bench
        print(f'bench: {dt:.3f} s/step at batch {args.batch}x{args.seq}, {args.batch * args.seq / dt:.0f} tokens/s, '
              f'{n_params:,} params', flush=True)
        return

    if not state['total']:
        if not args.minutes:
            raise SystemExit('give --steps or --minutes')
        # Measure the speed on a throwaway copy of the model and optimizer, so the run itself starts from the
        # seeded initial state whatever the timing turned out to be.
        probe_model = copy.deepcopy(model)
        probe_opt_state = copy.deepcopy(opt.state_dict())
        rng_state, gen_state = copy.deepcopy(rng.bit_generator.state), gen.get_state()
        t0 = time.time()
        n_probe = 10 if device == 'cpu' else 50
        for step in range(n_probe):
            one_step(step, 1000)
        if device == 'cuda':
            torch.cuda.synchronize()
        per_step = (time.time() - t0) / n_probe
        model.load_state_dict(probe_model.state_dict())
        opt.load_state_dict(probe_opt_state)
        rng.bit_generator.state, _ = rng_state, gen.set_state(gen_state)
        # About 5 % of the time goes to evaluations and checkpoints.
        state['total'] = max(100, int(args.minutes * 60 * 0.95 / per_step))
        print(f'{per_step:.3f} s/step measured: {state["total"]} steps fit {args.minutes} minutes', flush=True)
    total = state['total']

    def snapshot():
        return {'model': model.state_dict(), 'optimizer': opt.state_dict(), 'numpy_rng': rng.bit_generator.state,
                'torch_rng': gen.get_state(), 'state': state, 'config': cfg.__dict__, 'settings': vars(args)}

    t_start = time.time() - state['seconds']
    last_save = time.time()
    while state['step'] < total:
        step = state['step']
        state['window_loss'].append(one_step(step, total))
        state['step'] = step + 1
        state['seconds'] = time.time() - t_start
        done = state['step']
        if done % args.log_every == 0 or done == 1:
            state['curve'].append({'step': done, 'loss': float(np.mean(state['window_loss'])),
                                   'lr': opt.param_groups[0]['lr'], 'seconds': round(state['seconds'], 1)})
            state['window_loss'] = []
            print(f'step {done}/{total} loss {state["curve"][-1]["loss"]:.4f} lr {state["curve"][-1]["lr"]:.2e} '
                  f'{state["seconds"] / done:.3f}s/step', flush=True)
        if done % args.eval_every == 0:
            ev = evaluate(model, heldout, inner, args.eval_windows, vocab_size, unigram_id)
            ev.update(step=done, seconds=round(state['seconds'], 1), tokens_seen=done * args.batch * args.seq)
            state['evals'].append(ev)
            print('eval', json.dumps(ev), flush=True)
        stopping = args.stop_after and done >= args.stop_after
        if stopping or done == total or time.time() - last_save > args.checkpoint_minutes * 60:
            save_atomic(snapshot(), resume_path)
            last_save = time.time()
        if stopping:
            print(f'stopped after step {done}; --resume continues', flush=True)
            return

    final = evaluate(model, heldout, inner, 10 ** 9, vocab_size, unigram_id)
    final['step'] = total
    print('final eval', json.dumps(final), flush=True)
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    model = model.float().cpu()
    torch.save({'model': model.state_dict(), 'config': cfg.__dict__, 'step': total},
               os.path.join(args.work, 'checkpoint.pt'))
    settings = {k: v for k, v in vars(args).items() if k not in ('bench', 'work', 'resume', 'stop_after')}
    with open(os.path.join(args.work, 'metrics.json'), 'w') as f:
        json.dump({'settings': settings, 'params': n_params, 'steps_done': total,
                   'train_seconds': round(state['seconds']), 'train_tokens': int(train.size),
                   'tokens_seen': total * args.batch * args.seq, 'unigram_token_id': unigram_id,
                   'curve': state['curve'], 'evals': state['evals'], 'final': final}, f, indent=1)


if __name__ == '__main__':
    main()
