#!/usr/bin/env python3
"""Checks a tabtune PEFT export with PyTorch alone (no project code, no transformers/peft libraries).

Loads the base model's model.safetensors and config.json, the exported adapter folder (adapter_config.json +
adapter_model.safetensors), applies LoRA as PEFT does (W x + b + B A x * lora_alpha / r) on the modules named in
target_modules, pools ([CLS] or mean, from tabtune.json) and runs the classifier head; then compares the logits
with the ones tabtune computed.

usage: /usr/bin/python3 scripts/peft_check.py BASE_DIR ADAPTER_DIR CASES.json
CASES.json: {"ids": [[...], ...], "mask": [[...], ...], "logits": [[...], ...],
             "embedding_rows": [i, ...], "embeddings": [[...], ...]}   (the last two optional: pooled embeddings of
             those rows, e.g. from `predict --adapter`, compared with the pooled output of the adapted encoder)
Prints the max abs differences and exits 0 when both are <= 1e-4, 1 otherwise.
"""
import json, math, struct, sys
import torch

DT = torch.float64


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=kinds[e['dtype']]).reshape(e['shape']).to(DT)
    return out


def main(base_dir, adapter_dir, cases_path):
    cfg = json.load(open(f'{base_dir}/config.json'))
    W = read_safetensors(f'{base_dir}/model.safetensors')
    acfg = json.load(open(f'{adapter_dir}/adapter_config.json'))
    meta = json.load(open(f'{adapter_dir}/tabtune.json'))
    A = read_safetensors(f'{adapter_dir}/adapter_model.safetensors')
    cases = json.load(open(cases_path))
    bert = cfg['model_type'] == 'bert'
    prefix = 'bert.' if bert else 'distilbert.'
    # Base weights may or may not carry the prefix; PEFT keys always do (base_model.model.<prefix>...).
    g = lambda n: W[prefix + n] if prefix + n in W else W[n]
    H = cfg['hidden_size'] if bert else cfg['dim']
    nH = cfg['num_attention_heads'] if bert else cfg['n_heads']
    nL = cfg['num_hidden_layers'] if bert else cfg['n_layers']
    eps = cfg.get('layer_norm_eps', 1e-12) if bert else 1e-12
    scaling = acfg['lora_alpha'] / acfg['r'] if acfg['r'] else 0.0
    targets = acfg['target_modules']

    def matches(module):
        return any(module == t or module.endswith('.' + t) for t in targets)

    def linear(module, x):
        y = x @ g(module + '.weight').T + g(module + '.bias')
        if acfg['r'] and matches(module):
            la = A[f'base_model.model.{prefix}{module}.lora_A.weight']
            lb = A[f'base_model.model.{prefix}{module}.lora_B.weight']
            y = y + (x @ la.T) @ lb.T * scaling
        return y

    ln = lambda x, n: torch.nn.functional.layer_norm(x, x.shape[-1:], g(n + '.weight'), g(n + '.bias'), eps)
    gelu = lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    ids = torch.tensor(cases['ids'])
    mask = torch.tensor(cases['mask'])
    B, L = ids.shape
    D = H // nH
    x = g('embeddings.word_embeddings.weight')[ids] + g('embeddings.position_embeddings.weight')[:L][None]
    if bert:
        x = x + g('embeddings.token_type_embeddings.weight')[0]
    x = ln(x, 'embeddings.LayerNorm')
    bias = ((1 - mask.to(DT)) * -1e9)[:, None, None, :]
    for i in range(nL):
        if bert:
            p = f'encoder.layer.{i}.'
            q, k, v, o, n1, fi, fo, n2 = ('attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense',
                                          'attention.output.LayerNorm', 'intermediate.dense', 'output.dense', 'output.LayerNorm')
        else:
            p = f'transformer.layer.{i}.'
            q, k, v, o, n1, fi, fo, n2 = ('attention.q_lin', 'attention.k_lin', 'attention.v_lin', 'attention.out_lin',
                                          'sa_layer_norm', 'ffn.lin1', 'ffn.lin2', 'output_layer_norm')
        heads = lambda t: t.view(B, L, nH, D).transpose(1, 2)
        att = torch.softmax(heads(linear(p + q, x)) @ heads(linear(p + k, x)).transpose(-1, -2) / math.sqrt(D) + bias, -1)
        ctx = (att @ heads(linear(p + v, x))).transpose(1, 2).reshape(B, L, H)
        x = ln(x + linear(p + o, ctx), p + n1)
        x = ln(x + linear(p + fo, gelu(linear(p + fi, x))), p + n2)
    if meta['pooling'] == 'cls':
        pooled = x[:, 0]
    else:
        m = mask.to(DT)[..., None]
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    logits = pooled @ A['base_model.model.classifier.weight'].T + A['base_model.model.classifier.bias']
    diff = (logits - torch.tensor(cases['logits'], dtype=DT)).abs().max().item()
    emb_diff = 0.0
    if cases.get('embeddings'):
        rows = pooled[torch.tensor(cases['embedding_rows'])]
        emb_diff = (rows - torch.tensor(cases['embeddings'], dtype=DT)).abs().max().item()
    print(json.dumps({'max_abs_diff': diff, 'max_abs_embedding_diff': emb_diff, 'labels': meta['labels'], 'n': B}))
    return 0 if diff <= 1e-4 and emb_diff <= 1e-4 else 1


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))
