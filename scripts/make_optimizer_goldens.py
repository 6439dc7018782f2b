#!/usr/bin/env python3
"""Goldens for src/train/optimizer.ts: torch.optim.AdamW + clip_grad_norm_ on fixed tensors and gradients.

Run with Debian's torch:  /usr/bin/python3 scripts/make_optimizer_goldens.py
Writes test/fixtures/optimizer/adamw.json. Uses no project code.
"""
import json
import torch

torch.manual_seed(0)
shapes = [[3, 4], [4], [2, 2, 3]]
decay = [True, False, True]
params = [torch.randn(*s, dtype=torch.float64) for s in shapes]
grads = [[torch.randn(*s, dtype=torch.float64) * (3.0 if step % 2 else 0.5) for s in shapes] for step in range(5)]
lrs = [1e-3, 2e-3, 5e-2, 1e-2, 3e-3]
opts = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
max_norm = 1.0

ps = [torch.nn.Parameter(p.clone()) for p in params]
groups = [
    {"params": [p for p, d in zip(ps, decay) if d], "weight_decay": opts["weight_decay"]},
    {"params": [p for p, d in zip(ps, decay) if not d], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=lrs[0], betas=opts["betas"], eps=opts["eps"])
after, norms = [], []
for step in range(5):
    for p, g in zip(ps, grads[step]):
        p.grad = g.clone()
    norms.append(float(torch.nn.utils.clip_grad_norm_(ps, max_norm)))
    for group in opt.param_groups:
        group["lr"] = lrs[step]
    opt.step()
    after.append([p.detach().flatten().tolist() for p in ps])

out = {
    "shapes": shapes,
    "decay": decay,
    "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "max_norm": max_norm,
    "lrs": lrs,
    "params": [p.flatten().tolist() for p in params],
    "grads": [[g.flatten().tolist() for g in gs] for gs in grads],
    "norms": norms,
    "after": after,
    "torch": torch.__version__,
}
with open("test/fixtures/optimizer/adamw.json", "w") as f:
    json.dump(out, f)
print("wrote test/fixtures/optimizer/adamw.json")
