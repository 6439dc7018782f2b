#!/usr/bin/env python3
"""PyTorch goldens for the tfjs encoder, LoRA, head, loss, gradients and AdamW steps.

Builds BERT and DistilBERT in plain torch (no `transformers`, no project code) from the same safetensors the app
loads, applies LoRA as PEFT does (W x + b + B A x * alpha / r), and writes test/fixtures/goldens/<model>.json:
[CLS]- and mean-pooled embeddings, logits/loss/gradients of LoRA + head with [CLS] pooling and with mean pooling,
full fine-tuning gradients (embedding rows included), and the LoRA + head parameters after 3 AdamW steps.
Also F16/BF16 safetensors fixtures converted by torch (test/fixtures/goldens/dtypes-*.safetensors).
Run with Debian's torch:  /usr/bin/python3 scripts/make_goldens.py
"""
import json, math, struct
import torch

torch.manual_seed(1234)
DT = torch.float64  # goldens in double precision; tfjs computes in float32


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        assert e['dtype'] == 'F32', e['dtype']
        a, b = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(e['shape']).to(DT)
    return out


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], w, b, eps)


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def encoder(W, cfg, ids, mask, lora):
    """lora: dict module_name -> (A [r,in], B [out,r], scaling)."""
    bert = cfg['model_type'] == 'bert'
    H = cfg['hidden_size'] if bert else cfg['dim']
    nH = cfg['num_attention_heads'] if bert else cfg['n_heads']
    nL = cfg['num_hidden_layers'] if bert else cfg['n_layers']
    eps = cfg.get('layer_norm_eps', 1e-12) if bert else 1e-12
    p = 'bert.' if bert and 'bert.embeddings.word_embeddings.weight' in W else ('distilbert.' if 'distilbert.embeddings.word_embeddings.weight' in W else '')
    g = lambda n: W[p + n]
    B, L = ids.shape
    D = H // nH

    def linear(name, x):
        y = x @ g(name + '.weight').T + g(name + '.bias')
        if name in lora:
            A, Bm, s = lora[name]
            y = y + (x @ A.T) @ Bm.T * s
        return y

    x = g('embeddings.word_embeddings.weight')[ids] + g('embeddings.position_embeddings.weight')[:L][None]
    if bert:
        x = x + g('embeddings.token_type_embeddings.weight')[0]
    x = layer_norm(x, g('embeddings.LayerNorm.weight'), g('embeddings.LayerNorm.bias'), eps)
    bias = ((1 - mask.to(DT)) * -1e9)[:, None, None, :]
    for i in range(nL):
        if bert:
            pre = f'encoder.layer.{i}.'
            names = dict(q='attention.self.query', k='attention.self.key', v='attention.self.value', o='attention.output.dense',
                         n1='attention.output.LayerNorm', fi='intermediate.dense', fo='output.dense', n2='output.LayerNorm')
        else:
            pre = f'transformer.layer.{i}.'
            names = dict(q='attention.q_lin', k='attention.k_lin', v='attention.v_lin', o='attention.out_lin',
                         n1='sa_layer_norm', fi='ffn.lin1', fo='ffn.lin2', n2='output_layer_norm')
        heads = lambda t: t.view(B, L, nH, D).transpose(1, 2)
        q, k, v = (heads(linear(pre + names[n], x)) for n in 'qkv')
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + bias, -1)
        ctx = (att @ v).transpose(1, 2).reshape(B, L, H)
        x = layer_norm(x + linear(pre + names['o'], ctx), g(pre + names['n1'] + '.weight'), g(pre + names['n1'] + '.bias'), eps)
        h = gelu(linear(pre + names['fi'], x))
        x = layer_norm(x + linear(pre + names['fo'], h), g(pre + names['n2'] + '.weight'), g(pre + names['n2'] + '.bias'), eps)
    return x


def pool(x, mask, how):
    if how == 'cls':
        return x[:, 0]
    m = mask.to(DT)[..., None]
    return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)


def golden(model_dir, targets, out_name):
    cfg = json.load(open(f'{model_dir}/config.json'))
    W = read_safetensors(f'{model_dir}/model.safetensors')
    bert = cfg['model_type'] == 'bert'
    H = cfg['hidden_size'] if bert else cfg['dim']
    nL = cfg['num_hidden_layers'] if bert else cfg['n_layers']
    V = cfg['vocab_size']
    # Three texts of 6, 11 and 16 tokens, padded to 16 ([CLS]=2, [SEP]=3, [PAD]=0 in the generated vocabulary).
    # The first repeats a token, so the embedding gradient has to sum over repeated ids; the last fills the row.
    rand = lambda n: [torch.randint(10, V, (1,)).item() for _ in range(n)]
    first = rand(2)
    seqs = [[2] + first + first + [3], [2] + rand(9) + [3], [2] + rand(14) + [3]]
    L = 16
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    mask = torch.zeros(len(seqs), L, dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    labels = torch.tensor([1, 2, 0])
    # alpha / r = 3, not the default settings' 2: a scaling hard-coded, or read from the defaults, fails parity.
    num_labels, r, alpha = 3, 4, 12
    prefix = 'encoder.layer.' if bert else 'transformer.layer.'
    modules = [f'{prefix}{i}.{t}' for i in range(nL) for t in targets]
    params = {}
    wp = 'bert.' if bert and 'bert.embeddings.word_embeddings.weight' in W else ''
    for m in modules:
        out_dim, in_dim = W[wp + m + '.weight'].shape
        params[m + '.lora_A'] = (torch.rand(r, in_dim, dtype=DT) * 2 - 1) / math.sqrt(in_dim)
        # B non-zero so the gradients of A are not trivially zero.
        params[m + '.lora_B'] = torch.randn(out_dim, r, dtype=DT) * 0.05
    params['classifier.weight'] = torch.randn(num_labels, H, dtype=DT) * 0.02
    params['classifier.bias'] = torch.randn(num_labels, dtype=DT) * 0.02
    init = {k: v.detach().clone() for k, v in params.items()}
    for t in params.values():
        t.requires_grad_(True)

    def forward(weights, lora_params, how):
        lora = {m: (lora_params[m + '.lora_A'], lora_params[m + '.lora_B'], alpha / r) for m in modules if m + '.lora_A' in lora_params}
        pooled = pool(encoder(weights, cfg, ids, mask, lora), mask, how)
        logits = pooled @ lora_params['classifier.weight'].T + lora_params['classifier.bias']
        return pooled, logits, torch.nn.functional.cross_entropy(logits, labels)

    with torch.no_grad():
        base = encoder(W, cfg, ids, mask, {})
        emb_cls = pool(base, mask, 'cls')
        emb_mean = pool(base, mask, 'mean')

    # Mean pooling (sentence-transformers models): logits, loss and gradients through the masked mean.
    mean_params = {k: v.detach().clone().requires_grad_(True) for k, v in init.items()}
    _, mean_logits, mean_loss = forward(W, mean_params, 'mean')
    mean_loss.backward()
    mean_case = {'logits': mean_logits.tolist(), 'loss': float(mean_loss), 'grads': {k: flat(v.grad) for k, v in mean_params.items()}}

    # Full fine-tuning: every base weight trains. Stored: the gradient of the word-embedding rows the batch uses
    # (the custom gather gradient, repeated ids summed), the position rows used, and a few whole tensors.
    Wfull = {k: v.clone().requires_grad_(True) for k, v in W.items()}
    head = {k: init[k].clone().requires_grad_(True) for k in ('classifier.weight', 'classifier.bias')}
    _, full_logits, full_loss = forward(Wfull, head, 'cls')
    full_loss.backward()
    rows = sorted(set(ids.flatten().tolist()))
    layer1 = f'{prefix}1.' + ('attention.self.query' if bert else 'attention.q_lin')
    ffn0 = f'{prefix}0.' + ('output.dense' if bert else 'ffn.lin2')
    g = lambda n: Wfull[wp + n].grad
    full_case = {
        'logits': full_logits.tolist(), 'loss': float(full_loss),
        'word_rows': rows, 'word_grad_rows': g('embeddings.word_embeddings.weight')[rows].tolist(),
        'grads': {
            'embeddings.position_embeddings.weight': {'rows': L, 'data': flat(g('embeddings.position_embeddings.weight')[:L])},
            'embeddings.LayerNorm.weight': {'data': flat(g('embeddings.LayerNorm.weight'))},
            layer1 + '.weight': {'data': flat(g(layer1 + '.weight'))},
            layer1 + '.bias': {'data': flat(g(layer1 + '.bias'))},
            ffn0 + '.bias': {'data': flat(g(ffn0 + '.bias'))},
            'classifier.weight': {'data': flat(head['classifier.weight'].grad)},
        },
    }
    if bert:
        full_case['grads']['embeddings.token_type_embeddings.weight'] = {'rows': 1, 'data': flat(g('embeddings.token_type_embeddings.weight')[:1])}

    pooled, logits, loss = forward(W, params, 'cls')
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in params.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        _, _, l = forward(W, params, 'cls')
        losses.append(float(l))
        l.backward()
        opt.step()
    out = {
        'model': model_dir, 'targets': targets, 'r': r, 'alpha': alpha, 'num_labels': num_labels,
        'ids': ids.tolist(), 'mask': mask.tolist(), 'labels': labels.tolist(),
        'embedding_cls': emb_cls.tolist(), 'embedding_mean': emb_mean.tolist(),
        'logits': logits.tolist(), 'loss': float(loss),
        'init': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in init.items()},
        'grads': {k: flat(v) for k, v in grads.items()},
        'adamw': {'lr': 1e-3, 'weight_decay': 0.01, 'losses': losses, 'after': {k: flat(v) for k, v in params.items()}},
        'mean': mean_case,
        'full': full_case,
        'torch': torch.__version__,
    }
    with open(f'test/fixtures/goldens/{out_name}.json', 'w') as f:
        json.dump(short(out), f)
    print(f'wrote test/fixtures/goldens/{out_name}.json (loss {float(loss):.6f}, mean-pooled {float(mean_loss):.6f}, full {float(full_loss):.6f})')


def short(x):
    """9 significant digits: float32 needs at most 9 to round-trip, and it keeps the committed JSON small."""
    if isinstance(x, float):
        return float(f'{x:.9g}')
    if isinstance(x, list):
        return [short(v) for v in x]
    if isinstance(x, dict):
        return {k: short(v) for k, v in x.items()}
    return x


def flat(t):
    return t.detach().flatten().tolist()


def write_safetensors(path, tensors):
    """The format by hand (as the app writes it): u64 header length, JSON header padded to 8 bytes, raw data."""
    header, blobs, offset = {}, [], 0
    dtypes = {torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float32: 'F32'}
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.int16 if t.element_size() == 2 else torch.int32).numpy().tobytes()
        header[name] = {'dtype': dtypes[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def dtype_fixtures():
    """F16 and BF16 files whose rounding is torch's own, to check the loader's decoding and the writer's rounding."""
    values = [0.0, -0.0, 1.0, -2.0, 0.1, 1 / 3, 65504.0, 65519.0, 65520.0, 1e-8, 6e-5, 2 ** -24, 2 ** -25, 3 * 2 ** -26,
              1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.14159265, -1234.5678, 1e30, -1e-30,
              float('inf'), float('-inf')]
    src = torch.tensor(values, dtype=torch.float32)
    matrix = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 7
    enc = lambda xs: [x if math.isfinite(x) else ('inf' if x > 0 else '-inf') for x in xs]
    out = {'values': enc(src.tolist()), 'matrix': enc(matrix.flatten().tolist())}
    for dt, name in ((torch.float16, 'f16'), (torch.bfloat16, 'bf16')):
        write_safetensors(f'test/fixtures/goldens/dtypes-{name}.safetensors', {'values': src.to(dt), 'bert.matrix': matrix.to(dt)})
        out[name] = {'values': enc(src.to(dt).float().tolist()), 'bert.matrix': enc(matrix.to(dt).float().flatten().tolist())}
    with open('test/fixtures/goldens/dtypes.json', 'w') as f:
        json.dump(out, f)
    print('wrote test/fixtures/goldens/dtypes-f16.safetensors, dtypes-bf16.safetensors, dtypes.json')


# LoRA on every linear layer kind (attention q/k/v/output, FFN in/out), as PEFT names them.
golden('public/models/tiny-bert', ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense',
                                   'intermediate.dense', 'output.dense'], 'tiny-bert')
golden('public/models/tiny-distilbert', ['attention.q_lin', 'attention.k_lin', 'attention.v_lin', 'attention.out_lin',
                                         'ffn.lin1', 'ffn.lin2'], 'tiny-distilbert')
dtype_fixtures()
