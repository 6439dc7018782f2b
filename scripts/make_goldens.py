#!/usr/bin/env python3
"""PyTorch goldens for the tfjs encoder, LoRA, head, loss, gradients and AdamW steps.

Builds BERT and DistilBERT in plain torch (no `transformers`, no project code) from the same safetensors the app
loads, applies LoRA as PEFT does (W x + b + B A x * alpha / r), and writes test/fixtures/goldens/<model>.json.
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
    I = cfg['intermediate_size'] if bert else cfg['hidden_dim']
    nL = cfg['num_hidden_layers'] if bert else cfg['n_layers']
    V = cfg['vocab_size']
    # Two texts of 7 and 12 tokens, padded to 16: [CLS]=2, [SEP]=3, [PAD]=0 in the generated vocabulary.
    seqs = [[2] + [torch.randint(10, V, (1,)).item() for _ in range(5)] + [3], [2] + [torch.randint(10, V, (1,)).item() for _ in range(10)] + [3]]
    L = 16
    ids = torch.zeros(2, L, dtype=torch.long)
    mask = torch.zeros(2, L, dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    labels = torch.tensor([1, 2])
    num_labels, r, alpha = 3, 4, 8
    prefix = 'encoder.layer.' if bert else 'transformer.layer.'
    modules = [f'{prefix}{i}.{t}' for i in range(nL) for t in targets]
    params = {}
    wp = 'bert.' if bert else ''
    for m in modules:
        out_dim, in_dim = W[wp + m + '.weight'].shape
        params[m + '.lora_A'] = (torch.rand(r, in_dim, dtype=DT) * 2 - 1) / math.sqrt(in_dim)
        # B non-zero so the gradients of A are not trivially zero.
        params[m + '.lora_B'] = torch.randn(out_dim, r, dtype=DT) * 0.05
    params['classifier.weight'] = torch.randn(num_labels, H, dtype=DT) * 0.02
    params['classifier.bias'] = torch.randn(num_labels, dtype=DT) * 0.02
    for t in params.values():
        t.requires_grad_(True)

    def forward():
        lora = {m: (params[m + '.lora_A'], params[m + '.lora_B'], alpha / r) for m in modules}
        pooled = pool(encoder(W, cfg, ids, mask, lora), mask, 'cls')
        logits = pooled @ params['classifier.weight'].T + params['classifier.bias']
        return pooled, logits, torch.nn.functional.cross_entropy(logits, labels)

    with torch.no_grad():
        base = encoder(W, cfg, ids, mask, {})
        emb_cls = pool(base, mask, 'cls')
        emb_mean = pool(base, mask, 'mean')
    pooled, logits, loss = forward()
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in params.items()}
    init = {k: v.detach().clone() for k, v in params.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        _, _, l = forward()
        losses.append(float(l))
        l.backward()
        opt.step()
    flat = lambda t: t.detach().flatten().tolist()
    out = {
        'model': model_dir, 'targets': targets, 'r': r, 'alpha': alpha, 'num_labels': num_labels,
        'ids': ids.tolist(), 'mask': mask.tolist(), 'labels': labels.tolist(),
        'embedding_cls': emb_cls.tolist(), 'embedding_mean': emb_mean.tolist(),
        'logits': logits.tolist(), 'loss': float(loss),
        'init': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in init.items()},
        'grads': {k: flat(v) for k, v in grads.items()},
        'adamw': {'lr': 1e-3, 'weight_decay': 0.01, 'losses': losses, 'after': {k: flat(v) for k, v in params.items()}},
        'torch': torch.__version__,
    }
    with open(f'test/fixtures/goldens/{out_name}.json', 'w') as f:
        json.dump(out, f)
    print(f'wrote test/fixtures/goldens/{out_name}.json (loss {float(loss):.6f})')


golden('public/models/tiny-bert', ['attention.self.query', 'attention.self.value', 'intermediate.dense'], 'tiny-bert')
golden('public/models/tiny-distilbert', ['attention.q_lin', 'attention.v_lin', 'ffn.lin1'], 'tiny-distilbert')
