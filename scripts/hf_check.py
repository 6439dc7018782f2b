#!/usr/bin/env python3
"""Loads tabtune's exports in the libraries real users load them with (transformers, peft, sentence-transformers)
and compares their outputs with the figures tabtune computed for the same inputs.

Where scripts/peft_check.py re-implements the encoder in plain PyTorch (so it runs on Debian's python3-torch alone),
this script trusts nothing of ours: the model folder is read by AutoTokenizer / AutoModel / SentenceTransformer, the
adapter by PeftModel.from_pretrained, the merged model by AutoModel. It runs in the Python environment that
scripts/hf-python.mjs prepares.

usage: python scripts/hf_check.py CASES.json
CASES.json: {
  "model": BASE_DIR,                       # a model folder in the hub's files
  "texts": [...], "input_ids": [[...]],    # tabtune's unpadded token ids of each text
  "base_embeddings": [[...]],              # tabtune's pooled base embeddings (optional)
  "adapter": DIR, "embeddings": [[...]], "logits": [[...]],   # a PEFT adapter and tabtune's tuned outputs (optional)
  "merged": DIR                            # a merged export; compared with "embeddings" and "logits" (optional)
}
Prints one JSON line of max abs differences (and the figures themselves) for the test to assert on.
"""
import json
import sys

import torch
import transformers
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

# tabtune computes in float32 whatever the stored dtype; transformers 5 would load tabtune-mini in its config's
# float16, so the base is asked for float32 (the argument's name changed in version 5).
F32 = {'dtype': torch.float32} if int(transformers.__version__.split('.')[0]) >= 5 else {'torch_dtype': torch.float32}


def pool(hidden, mask, mode):
    if mode == 'cls':
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def batch(input_ids):
    width = max(len(x) for x in input_ids)
    ids = torch.tensor([x + [0] * (width - len(x)) for x in input_ids])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in input_ids])
    return ids, mask


def encoder_of(model):
    return model.bert if hasattr(model, 'bert') else model.distilbert


def max_diff(a, b):
    return float((torch.as_tensor(a, dtype=torch.float32) - torch.as_tensor(b, dtype=torch.float32)).abs().max())


def main(cases_path):
    c = json.load(open(cases_path))
    out = {}
    tok = AutoTokenizer.from_pretrained(c['model'])
    hf_ids = [tok(t)['input_ids'] for t in c['texts']]
    out['tokenizer_equal'] = hf_ids == c['input_ids']
    out['hf_input_ids'] = hf_ids
    ids, mask = batch(c['input_ids'])
    meta = {}
    if c.get('adapter'):
        meta = json.load(open(f"{c['adapter']}/tabtune.json"))
    mode = meta.get('pooling', c.get('pooling', 'mean'))

    if c.get('base_embeddings') is not None:
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(c['model'], device='cpu', model_kwargs=F32)
        emb = st.encode(c['texts'], convert_to_tensor=True)
        out['sentence_transformers_base'] = max_diff(emb, c['base_embeddings'])

    if c.get('adapter'):
        from peft import PeftModel
        labels = meta['labels']
        base = AutoModelForSequenceClassification.from_pretrained(c['model'], num_labels=len(labels), **F32)
        model = PeftModel.from_pretrained(base, c['adapter']).eval()
        inner = model.base_model.model
        with torch.no_grad():
            hidden = encoder_of(inner)(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = pool(hidden, mask, mode)
            # tabtune's head is one Linear on the pooled vector (tabtune.json "head"), not BERT's pooler + tanh.
            logits = inner.classifier(pooled) if c.get('logits') is not None else None
        out['peft_embeddings'] = pooled.tolist()
        if c.get('embeddings') is not None:
            out['peft_embedding'] = max_diff(pooled, c['embeddings'])
        if logits is not None:
            out['peft_logits'] = max_diff(logits, c['logits'])
        with model.disable_adapter(), torch.no_grad():
            unadapted = pool(encoder_of(inner)(input_ids=ids, attention_mask=mask).last_hidden_state, mask, mode)
        out['adapter_moved'] = max_diff(pooled, unadapted)

    if c.get('merged'):
        # Loaded as a user would, with no dtype argument: the merged file is float32 and its config must say so.
        model = AutoModel.from_pretrained(c['merged']).eval()
        out['merged_dtype'] = str(model.dtype)
        from safetensors.torch import load_file
        w = load_file(f"{c['merged']}/model.safetensors")
        with torch.no_grad():
            pooled = pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask, mode)
            logits = pooled @ w['classifier.weight'].float().T + w['classifier.bias'].float()
        out['merged_embedding'] = max_diff(pooled, c['embeddings'])
        out['merged_logits'] = max_diff(logits, c['logits'])

    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
