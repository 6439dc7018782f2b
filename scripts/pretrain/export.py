"""Writes the hub files for tabtune-mini from the pretraining checkpoint, then checks them and makes goldens.

  * model.safetensors, F16, HF names (`bert.*`, `cls.predictions.*`; the decoder is tied to the word
    embeddings, so like HF's own files it is not stored twice; no pooler, as BertForMaskedLM has none),
    written by hand: 8-byte little-endian header length, JSON header, raw little-endian data.
  * config.json as the hub writes it for BertForMaskedLM.
  * Reads the file back, and measures held-out masked-token accuracy with the F16 weights (what the app runs).
  * scripts/pretrain/mlm_goldens.json: a few held-out sentences with one common word masked, which the torch
    model gets right, with the torch top-5 — test/unit/tabtune-mini.test.ts checks the tfjs encoder against it.
"""
import argparse
import json
import os
import re
import shutil
import struct

import numpy as np
import torch

import wordpiece
from model import BertConfig, BertForMaskedLM
from pretrain import evaluate, N_SPECIAL

DTYPES = {torch.float16: ('F16', '<f2'), torch.float32: ('F32', '<f4')}


def write_safetensors(path: str, tensors: dict, dtype=torch.float16) -> None:
    name, np_dtype = DTYPES[dtype]
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        arr = tensors[key].detach().to(dtype).contiguous().numpy().astype(np_dtype)
        raw = arr.tobytes()
        header[key] = {'dtype': name, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header['__metadata__'] = {'format': 'pt'}
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # the data starts 8-byte aligned, as the reference writer does
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path: str) -> dict:
    with open(path, 'rb') as f:
        buf = f.read()
    n = struct.unpack('<Q', buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    base = 8 + n
    out = {}
    for key, info in header.items():
        if key == '__metadata__':
            continue
        np_dtype = {'F16': '<f2', 'F32': '<f4'}[info['dtype']]
        a, b = info['data_offsets']
        arr = np.frombuffer(buf[base + a:base + b], dtype=np_dtype).reshape(info['shape'])
        out[key] = torch.from_numpy(arr.astype(np.float32))
    return out


def write_sentence_transformers_files(model_dir: str, hidden: int) -> None:
    """Mean pooling, declared the way sentence-transformers folders declare it (modules.json + 1_Pooling/).

    MLM pretraining never trains the [CLS] output (there is no next-sentence task), so the mean of the token
    vectors is the model's sentence embedding; loaders that read these files (tabtune's, sentence-transformers)
    pick mean pooling by themselves.
    """
    os.makedirs(os.path.join(model_dir, '1_Pooling'), exist_ok=True)
    modules = [{'idx': 0, 'name': '0', 'path': '', 'type': 'sentence_transformers.models.Transformer'},
               {'idx': 1, 'name': '1', 'path': '1_Pooling', 'type': 'sentence_transformers.models.Pooling'}]
    pooling = {'word_embedding_dimension': hidden, 'pooling_mode_cls_token': False, 'pooling_mode_mean_tokens': True,
               'pooling_mode_max_tokens': False, 'pooling_mode_mean_sqrt_len_tokens': False}
    for name, obj in (('modules.json', modules), ('1_Pooling/config.json', pooling),
                      ('sentence_bert_config.json', {'max_seq_length': 128, 'do_lower_case': False})):
        with open(os.path.join(model_dir, name), 'w') as f:
            json.dump(obj, f, indent=2)


def write_model_folder(model, cfg, model_dir: str, tokenizer_dir: str = '') -> tuple:
    """The hub's folder of a BertForMaskedLM: F16 weights (no pooler, like every BertForMaskedLM checkpoint),
    config.json, the sentence-transformers files, and the tokenizer's three files copied from tokenizer_dir when
    given. Returns the state written and the weights' path."""
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('bert.pooler.')}
    os.makedirs(model_dir, exist_ok=True)
    if tokenizer_dir:
        for fname in ('tokenizer.json', 'tokenizer_config.json', 'vocab.txt'):
            shutil.copyfile(os.path.join(tokenizer_dir, fname), os.path.join(model_dir, fname))
    st_path = os.path.join(model_dir, 'model.safetensors')
    write_safetensors(st_path, state)
    with open(os.path.join(model_dir, 'config.json'), 'w') as f:
        json.dump(cfg.hub_json(), f, indent=2)
    write_sentence_transformers_files(model_dir, cfg.hidden_size)
    return state, st_path


@torch.no_grad()
def top_k(model, ids: list, pos: int, k: int = 5):
    t = torch.tensor([ids])
    logits = model(t, torch.ones_like(t))[0, pos]
    v, i = logits.topk(k)
    return i.tolist(), v.tolist()


def make_goldens(model, tok: wordpiece.WordPiece, heldout_docs: list, train_ids: np.ndarray, n: int = 6) -> list:
    counts = np.bincount(train_ids, minlength=len(tok.vocab))
    rank = {int(t): r for r, t in enumerate(np.argsort(-counts))}
    # Common whole words, but not the very commonest function words (those are too easy to be a check).
    good = {i for i, t in enumerate(tok.vocab)
            if i >= N_SPECIAL and t.isalpha() and len(t) >= 4 and 40 <= rank[i] < 1500}
    picked, used_words = [], set()
    for doc in heldout_docs:
        words = doc.split()
        if not (8 <= len(words) <= 24) or doc.count('"') > 2:
            continue
        ids = tok.encode(doc)
        for pos in range(1, len(ids) - 1):
            target = ids[pos]
            if target not in good or target in used_words:
                continue
            # Only whole words: the next piece must not continue this word.
            if tok.vocab[ids[pos + 1]].startswith('##'):
                continue
            masked = ids[:pos] + [tok.mask] + ids[pos + 1:]
            top_ids, top_logits = top_k(model, masked, pos)
            if top_ids[0] != target:
                continue
            # The original text with [MASK] in place of the word (an occurrence that gives exactly these ids).
            text = None
            for m in re.finditer(r'(?i)\b' + re.escape(tok.vocab[target]) + r'\b', doc):
                left, right = doc[:m.start()], doc[m.end():]
                if [tok.cls] + tok.encode(left, False) + [tok.mask] + tok.encode(right, False) + [tok.sep] == masked:
                    text = left + '[MASK]' + right
                    break
            if text is None:
                continue
            picked.append({'text': text, 'ids': masked, 'mask_position': pos, 'answer': tok.vocab[target],
                           'answer_id': target, 'top5_ids': top_ids, 'top5_tokens': [tok.vocab[i] for i in top_ids],
                           'top5_logits': [round(x, 5) for x in top_logits]})
            used_words.add(target)
            break
        if len(picked) >= n:
            break
    return picked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--tokenizer-dir', default='', help='copy tokenizer.json, tokenizer_config.json and vocab.txt '
                                                         'from here (tokenize_corpus.py writes them there)')
    ap.add_argument('--checkpoint', default='', help='default: checkpoint-sentence.pt (after the sentence stage) '
                                                      'if present, else checkpoint.pt (MLM only)')
    ap.add_argument('--goldens', default='scripts/pretrain/mlm_goldens.json')
    args = ap.parse_args()
    torch.set_num_threads(1)
    name = args.checkpoint or ('checkpoint-sentence.pt' if os.path.exists(os.path.join(args.work, 'checkpoint-sentence.pt'))
                               else 'checkpoint.pt')
    print('exporting', name, flush=True)
    ckpt = torch.load(os.path.join(args.work, name), weights_only=False)
    cfg = BertConfig(**ckpt['config'])
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    model = BertForMaskedLM(cfg)
    model.load_state_dict(ckpt['model'])
    state, st_path = write_model_folder(model, cfg, args.model_dir, args.tokenizer_dir)

    # Read back: every tensor present with its shape, values equal to the F16 rounding of the checkpoint.
    back = read_safetensors(st_path)
    assert set(back) == set(state), set(back) ^ set(state)
    for k, v in state.items():
        assert back[k].shape == v.shape, k
        assert torch.equal(back[k], v.half().float()), k
    f16 = BertForMaskedLM(cfg)
    missing, unexpected = f16.load_state_dict(back, strict=False)
    assert not unexpected and all(m.startswith('bert.pooler.') for m in missing), (missing, unexpected)
    f16.eval()

    heldout = np.load(os.path.join(args.work, 'heldout_ids.npy'))
    train = np.load(os.path.join(args.work, 'train_ids.npy'))
    with open(os.path.join(args.work, 'metrics.json')) as f:
        metrics = json.load(f)
    inner = metrics['settings']['seq'] - 2
    ev16 = evaluate(f16, heldout, inner, 10 ** 9, cfg.vocab_size, metrics['unigram_token_id'])
    f16.eval()
    print('held-out with F16 weights', json.dumps(ev16), flush=True)
    metrics['final_f16'] = ev16
    metrics['exported_checkpoint'] = name
    metrics['file_bytes'] = os.path.getsize(st_path)
    with open(os.path.join(args.work, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)

    tok = wordpiece.WordPiece(wordpiece.load_vocab(os.path.join(args.model_dir, 'vocab.txt')))
    with open(os.path.join(args.work, 'heldout.txt')) as f:
        docs = [d.strip() for d in f if d.strip()]
    goldens = make_goldens(f16, tok, docs, train)
    with open(args.goldens, 'w') as f:
        json.dump({'model': 'tabtune-mini', 'note': 'written by scripts/pretrain/export.py from the F16 weights',
                   'cases': goldens}, f, indent=1)
    for g in goldens:
        print(g['text'], '->', g['top5_tokens'])


if __name__ == '__main__':
    main()
