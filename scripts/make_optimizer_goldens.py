#!/usr/bin/env python3
"""Goldens for src/train/optimizer.ts: torch.optim.AdamW + torch.nn.utils.clip_grad_norm_ on fixed tensors.

Run with Debian's torch from the repository root:  /usr/bin/python3 scripts/make_optimizer_goldens.py
Writes test/fixtures/optimizer/adamw.json. Uses no project code: this is the independent reference.

Inputs (initial parameters, gradients) are drawn as float32, so tfjs receives exactly the same numbers. The
reference run is float64 (the exact answer the float32 tfjs update approximates); a float32 torch run is stored
too, so the test can report how far tfjs is from what PyTorch itself computes in float32.
"""
import json
import torch

SCENARIOS = [
    {
        # Hugging Face Trainer defaults. Gradient scale per step: small steps leave clipping off (norm < 1),
        # large ones turn it on. Parameters 1 and 3 are bias/LayerNorm-like: weight decay off.
        "name": "hf-defaults",
        "shapes": [[3, 4], [4], [2, 2, 3], [5]],
        "decay": [True, False, True, False],
        "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "max_norm": 1.0,
        "lrs": [1e-3, 2e-3, 5e-2, 1e-2, 3e-3],
        "grad_scales": [0.05, 3.0, 0.5, 0.01, 3.0],
        # Parameter 3 gets an all-zero gradient at step 2: m and v only decay, the update still moves it.
        "zero_grads": [[2, 3]],
    },
    {
        # Unusual betas / eps / decay so a swapped beta or a misplaced eps cannot pass; lr 0 at step 2 checks that
        # the decay factor is (1 - lr * wd) and the moments still advance.
        "name": "strong-decay",
        "shapes": [[2, 3], [3]],
        "decay": [True, False],
        "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1, "max_norm": 0.5,
        "lrs": [0.1, 0.05, 0.0, 0.2, 0.01],
        "grad_scales": [1.0, 0.02, 1.0, 5.0, 0.1],
        "zero_grads": [],
    },
]


def run(sc, params, grads, dtype):
    ps = [torch.nn.Parameter(p.to(dtype).clone()) for p in params]
    groups = [
        {"params": [p for p, d in zip(ps, sc["decay"]) if d], "weight_decay": sc["weight_decay"]},
        {"params": [p for p, d in zip(ps, sc["decay"]) if not d], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=sc["lrs"][0], betas=(sc["beta1"], sc["beta2"]), eps=sc["eps"])
    after, norms = [], []
    for step, lr in enumerate(sc["lrs"]):
        for p, g in zip(ps, grads[step]):
            p.grad = g.to(dtype).clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_(ps, sc["max_norm"])))
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        after.append([p.detach().flatten().tolist() for p in ps])
    state = [opt.state[p] for p in ps]
    return {
        "norms": norms,
        "after": after,
        "state": {
            "step": int(state[0]["step"]),
            "m": [s["exp_avg"].flatten().tolist() for s in state],
            "v": [s["exp_avg_sq"].flatten().tolist() for s in state],
        },
    }


def scenario(sc, seed):
    torch.manual_seed(seed)
    params = [torch.randn(*s, dtype=torch.float32) for s in sc["shapes"]]
    grads = [[torch.randn(*s, dtype=torch.float32) * scale for s in sc["shapes"]] for scale in sc["grad_scales"]]
    for step, i in sc["zero_grads"]:
        grads[step][i] = torch.zeros(*sc["shapes"][i], dtype=torch.float32)
    ref = run(sc, params, grads, torch.float64)
    f32 = run(sc, params, grads, torch.float32)
    out = {k: v for k, v in sc.items() if k not in ("grad_scales", "zero_grads")}
    out.update({
        "params": [p.flatten().tolist() for p in params],
        "grads": [[g.flatten().tolist() for g in gs] for gs in grads],
        "norms": ref["norms"],
        "after": ref["after"],
        "state": ref["state"],
        "after_float32_torch": f32["after"],
    })
    return out


golden = {
    "torch": torch.__version__,
    "note": "after/norms/state from float64 torch; after_float32_torch from the same run in float32",
    "scenarios": [scenario(sc, seed) for seed, sc in enumerate(SCENARIOS)],
}
with open("test/fixtures/optimizer/adamw.json", "w") as f:
    json.dump(golden, f)
print("wrote test/fixtures/optimizer/adamw.json:", ", ".join(s["name"] for s in golden["scenarios"]))
for s in golden["scenarios"]:
    print(f"  {s['name']}: norms {[round(n, 4) for n in s['norms']]} (max_norm {s['max_norm']})")
