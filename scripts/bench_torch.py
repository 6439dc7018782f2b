#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same training step (BERT encoder + classifier head, LoRA/head/full,
AdamW) on the CPU with the same thread count, timed the same way. Prints one JSON object per line.

usage: /usr/bin/python3 scripts/bench_torch.py '<json list of {model, method, seq, batch, layers, hidden, heads, ffn, vocab}>' THREADS STEPS [BUDGET_S]
       /usr/bin/python3 scripts/bench_torch.py --serve THREADS
  --serve: prints {"torch": version, "threads": n} first, then answers each stdin line
  {"case": {...}, "steps": N, "budget_s": S} with one JSON line (the bench keeps one process for the whole run);
  {"matmul": REPS} answers {"matmul_gflops": g}: a 1024×1024 float32 matmul (or "size"), timed as the tfjs side
  times its own.
  Either may carry "threads": N, PyTorch's thread count for that request (THREADS otherwise), and "device": "cuda"
  (the GPU kit, scripts/gpu/kit-main.ts: eager PyTorch on the GPU, each step synchronised before its time is read).
Timed steps stop at STEPS or once they took BUDGET_S together (at least one), as the tfjs side does.
"""
import ctypes, json, math, sys, time
import torch


def _openblas():
    # Debian's torch does its matmuls in the system BLAS (OpenBLAS). torch.set_num_threads sets OpenMP's threads,
    # not OpenBLAS's pthread pool, which takes every core by default: so its threads are set here too, or the
    # "1 thread" rows would use them all (and with the serial build, N-thread rows would use one).
    for line in open('/proc/self/maps'):
        path = line.split()[-1]
        if 'openblas' in path or 'libblas.so' in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_set_num_threads
                return lib
            except (OSError, AttributeError):
                continue
    return None


_blas = _openblas()


def set_threads(n):
    torch.set_num_threads(n)
    if _blas is not None:
        _blas.openblas_set_num_threads(n)


def run(case, steps, budget_s=float('inf')):
    torch.manual_seed(0)
    dev = torch.device(case.get('device', 'cpu'))
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    L, H, nH, I, V = case['layers'], case['hidden'], case['heads'], case['ffn'], case['vocab']
    B, S = case['batch'], case['seq']
    lin = lambda o, i: torch.nn.Linear(i, o)
    emb = torch.nn.Embedding(V, H)
    pos = torch.nn.Embedding(512, H)
    layers = torch.nn.ModuleList()
    for _ in range(L):
        layers.append(torch.nn.ModuleDict(dict(q=lin(H, H), k=lin(H, H), v=lin(H, H), o=lin(H, H), n1=torch.nn.LayerNorm(H), fi=lin(I, H), fo=lin(H, I), n2=torch.nn.LayerNorm(H))))
    norm = torch.nn.LayerNorm(H)
    head = lin(2, H)
    for m in (emb, pos, norm, layers, head):
        m.to(dev)
    base = [emb, pos, norm, layers]
    for m in base:
        for p in m.parameters():
            p.requires_grad_(case['method'] == 'full')
    lora = {}
    if case['method'] == 'lora':
        for i in range(L):
            for t in ('q', 'v'):
                lora[(i, t)] = (torch.nn.Parameter(torch.randn(8, H, device=dev) * 0.01), torch.nn.Parameter(torch.zeros(H, 8, device=dev)))
    params = [p for m in base for p in m.parameters() if p.requires_grad] + [p for ab in lora.values() for p in ab] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4)
    ids = torch.randint(5, V, (B, S), device=dev)
    mask = torch.ones(B, S, device=dev)
    labels = torch.randint(0, 2, (B,), device=dev)
    D = H // nH

    def step():
        x = norm(emb(ids) + pos.weight[:S])
        bias = ((1 - mask) * -1e9)[:, None, None, :]
        for i, l in enumerate(layers):
            def proj(t):
                y = l[t](x)
                if (i, t) in lora:
                    a, b = lora[(i, t)]
                    y = y + (x @ a.T) @ b.T * 2
                return y.view(B, S, nH, D).transpose(1, 2)
            att = torch.softmax(proj('q') @ proj('k').transpose(-1, -2) / math.sqrt(D) + bias, -1)
            ctx = (att @ proj('v')).transpose(1, 2).reshape(B, S, H)
            x = l['n1'](x + l['o'](ctx))
            x = l['n2'](x + l['fo'](torch.nn.functional.gelu(l['fi'](x))))
        loss = torch.nn.functional.cross_entropy(head(x[:, 0]), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    t0 = time.perf_counter()
    step()
    sync()
    warm = time.perf_counter() - t0
    if warm < budget_s / 4:
        step()  # a second warm-up step when it is cheap
    times = []
    while len(times) < steps and (not times or sum(times) < budget_s * 1000):
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    s = sorted(times)
    k = len(s)
    med = s[k // 2] if k % 2 else (s[k // 2 - 1] + s[k // 2]) / 2
    return {'torch_ms_per_step': med, 'torch_spread_ms': s[-1] - s[0], 'torch_steps_timed': k, 'torch_warmup_ms': warm * 1000}


def matmul_gflops(reps=3, budget_s=3.0, size=1024, device='cpu'):
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    a @ b  # warm-up
    sync()
    t0, done = time.perf_counter(), 0
    while done < reps and (done == 0 or time.perf_counter() - t0 < budget_s):
        a @ b
        sync()
        done += 1
    return 2 * size ** 3 / ((time.perf_counter() - t0) / done) / 1e9


if sys.argv[1] == '--serve':
    set_threads(int(sys.argv[2]))
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': _blas._name if _blas else None, 'cuda': cuda}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        set_threads(int(req.get('threads', sys.argv[2])))
        if 'matmul' in req:
            print(json.dumps({'matmul_gflops': matmul_gflops(req['matmul'], size=req.get('size', 1024), device=req.get('device', 'cpu'))}), flush=True)
            continue
        try:
            out = {**req['case'], **run(req['case'], req['steps'], req.get('budget_s', float('inf')))}
        except Exception as e:  # a case that fails (e.g. out of memory) answers with its error, the server goes on
            out = {**req['case'], 'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(out), flush=True)
else:
    cases = json.loads(sys.argv[1])
    set_threads(int(sys.argv[2]))
    steps = int(sys.argv[3])
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else float('inf')
    for c in cases:
        print(json.dumps({**c, **run(c, steps, budget)}), flush=True)
