"""A fast stand-in for tabtune's fine-tuning, to compare base models and recipes in seconds while pretraining
runs: LoRA on chosen Linear modules (or full fine-tuning) + a Linear head on the mean-pooled embedding, AdamW,
the run settings of src/config.ts. It is PyTorch, not the app's tfjs loop, so its figures rank candidates; the
figures a model card reports come from scripts/checks/realtext.ts.

usage: finetune_probe.py (--model-dir DIR | --checkpoint FILE.pt --vocab vocab.txt) --emails-train GEN.jsonl
       [--max-len 64] [--lr 2e-3] [--epochs 3] [--method lora|full] [--targets query,value] [--seeds 0,1]
       [--word-drop 0.1] [--train-embeddings [--emb-lr 1e-3]]
       [--method frozen] [--features encoder|bag|both|ensemble [--own-bag] [--bag-weight 0.5]] [--keep-layers K]
       [--embeddings-from-twin] [--augment shuffle:0.5,crop:0.5,splice:0.5,synonym:0.1] [--predictions FILE.jsonl]
       [--emails-test FILE.jsonl] [--schedule app|constant] [--weight-average 0.5] [--eval-max-len 128]
       [--features prompt [--template "this email is about [MASK] ."] [--verbalizer invoice=bill] [--train-mlm-head]]
       [--pool mean|max|meanmax|cls|idf [--unseen-weight W]] [--rdrop ALPHA] [--aux-mlm W]

Diagnostics (scripts/pretrain/trials/2026-11-27-what-the-layers-are-worth.md): --method frozen trains only the head
(and the word embeddings with --train-embeddings); --features bag feeds the head the mean of the input word
embeddings instead of the encoder's mean-pooled output (a fastText-style bag of words); --keep-layers K keeps the
first K encoder layers; --embeddings-from-twin swaps in the other model's word embeddings (the random twin's into
the pretrained model, or, with --random, the pretrained ones into the twin); --features both feeds the head the encoder
output and the bag side by side (scripts/pretrain/trials/2026-11-27-a-web-trained-teacher.md). --device cuda runs
it on a GPU. --features ensemble trains a head on each, by its own loss, and mixes their log-probabilities (--own-bag:
the bag trains its own copy of the word embeddings); --augment trains on template-breaking views of the emails;
--predictions writes every test email's prediction (scripts/pretrain/trials/2026-11-28-ensembles-augmentation-and-more-data.md).
--schedule app (the default) runs the app's warm-up, decay and clipping, --weight-average its tail averaging, and
--eval-max-len cuts test texts at another length than training ones (scripts/pretrain/trials/2026-11-28-weight-averaging.md).
--features prompt classifies by the MLM head's guess at a cloze put before the text, with --epochs 0 its zero-shot
(scripts/pretrain/trials/2026-11-28-prompt-based-fine-tuning.md). --pool reads the encoder's output another way than
the app's mean (scripts/pretrain/trials/2026-11-29-a-third-hand-written-set.md); --pool idf weighs each token by its
IDF over the training texts, --rdrop adds R-Drop's consistency loss and --aux-mlm a masked-language-modelling loss on
each training batch, and --augment synonym:P swaps words for WordNet synonyms
(scripts/pretrain/trials/2026-11-29-consistency-mixed-objective-and-idf-pooling.md).
"""
import argparse
import copy
import functools
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import wordpiece
from contrastive import CLS, SEP, batch_ids, embed, encode_cut, mean_pool, pad_rows
from model import BertConfig, BertForMaskedLM
from pretrain import MASK, mask_tokens
from probe import EMAILS, fortune_folds, read_chat
from sources import WORDNET_DIR, wordnet_synsets


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.a.t() @ self.b.t()) * self.scale


def with_lora(model, targets, r, alpha, dropout):
    for p in model.parameters():
        p.requires_grad_(False)
    for name, mod in list(model.named_modules()):
        for child_name, child in list(mod.named_children()):
            full = f'{name}.{child_name}' if name else child_name
            if isinstance(child, nn.Linear) and child_name in targets and '.encoder.' in f'.{full}':
                setattr(mod, child_name, LoraLinear(child, r, alpha, dropout))
    return model


def drop_words(text, rng, p):
    """Word dropout (EDA's random deletion): each word kept with probability 1 - p, at least one kept."""
    words = text.split()
    kept = [w for w in words if rng.random() >= p]
    return ' '.join(kept) if kept else words[int(rng.integers(len(words)))] if words else text


STOP = set("""a an the and or but if then of to in on at by for with from as is are was were be been being it its this that
these those i you he she we they me him her us them my your his our their not no yes do does did have has had will would
can could shall should may might must so than too very just also here there what which who whom when where why how all
any each some such only own same other into over under again once about above below up down out off more most""".split())


@functools.cache
def wordnet_synonyms():
    """word → the other one-word lemmas of its most frequent sense in each part of speech (WordNet's index lists a
    word's senses most frequent first), for EDA's synonym replacement; read once a process."""
    if not os.path.isdir(WORDNET_DIR):
        sys.exit(f'--augment synonym reads WordNet from {WORDNET_DIR}: apt-get install wordnet-base')
    out = {}
    for pos in ('noun', 'verb', 'adj', 'adv'):
        first_sense_of = {}  # synset offset → the words whose most frequent sense it is
        with open(os.path.join(WORDNET_DIR, f'index.{pos}'), encoding='latin-1') as f:
            for line in f:
                if line.startswith(' '):  # licence header lines
                    continue
                fields = line.split()
                if fields[0].isalpha():
                    # lemma, pos, synset count, pointer count, the pointers, sense count, tagged count, offsets
                    first_sense_of.setdefault(fields[6 + int(fields[3])], []).append(fields[0])
        for offset, lemmas, _ in wordnet_synsets(pos):
            one_word = [w.lower() for w in lemmas if w.isalpha()]
            for word in first_sense_of.get(offset, ()):
                others = [w for w in one_word if w != word]
                if others:
                    out.setdefault(word, set()).update(others)
    return {w: sorted(v) for w, v in out.items()}


def replace_synonyms(text, rng, p, synonyms):
    """EDA's synonym replacement: each word that is not a stop word and has a WordNet synonym is swapped for one of
    them, at random, with probability p."""
    def swap(m):
        word = m.group(0)
        options = synonyms.get(word.lower())
        if not options or word.lower() in STOP or rng.random() >= p:
            return word
        new = options[int(rng.integers(len(options)))]
        return new.capitalize() if word[0].isupper() else new
    return re.sub(r'[A-Za-z]+', swap, text)


def augment(text, rng, kinds, same_class):
    """Template-breaking views of a training email, each applied with its probability: 'shuffle' reorders its
    lines, 'crop' keeps a random run of 50-100 % of its words, 'splice' joins its first lines to the last lines of
    another email of the same class (same_class() draws one); 'synonym' swaps each word for a WordNet synonym with
    its probability (replace_synonyms)."""
    if 'synonym' in kinds:
        text = replace_synonyms(text, rng, kinds['synonym'], wordnet_synonyms())
    if 'splice' in kinds and rng.random() < kinds['splice']:
        a, b = text.split('\n'), same_class().split('\n')
        text = '\n'.join(a[:max(1, len(a) // 2)] + b[len(b) // 2:])
    if 'shuffle' in kinds and rng.random() < kinds['shuffle']:
        lines = text.split('\n')
        text = '\n'.join(lines[i] for i in rng.permutation(len(lines)))
    if 'crop' in kinds and rng.random() < kinds['crop']:
        words = text.split(' ')
        keep = max(1, int(len(words) * rng.uniform(0.5, 1.0)))
        start = int(rng.integers(len(words) - keep + 1))
        text = ' '.join(words[start:start + keep])
    return text


class Prompt:
    """Prompt-based classification (PET / LM-BFF): a cloze such as "this email is about [MASK] ." goes before the
    text, and a label's score is the MLM head's logit at the mask for its word (the mean over its word pieces), so
    the head starts from what pretraining taught instead of a fresh Linear layer."""

    def __init__(self, tok, template, words, labels, plus_head=False):
        self.plus_head = plus_head
        pre, post = template.split('[MASK]')
        self.before = tok.encode(pre)[1:-1]
        self.after = tok.encode(post)[1:-1] if post.strip() else []
        self.at = 1 + len(self.before)
        # A label may name several words (bill|payment): its score is the mean of theirs.
        self.label_ids = [[tok.encode(w)[1:-1] for w in words.get(l, l).split('|')] for l in labels]

    def rows(self, tok, texts, max_len):
        head = [CLS, *self.before, MASK, *self.after]
        return pad_rows([head + encode_cut(tok, t, max_len - len(head) + 1)[1:] for t in texts])

    def logits(self, model, ids, mask):
        z = model.logits_at(model.bert(ids, mask)[:, self.at]).float()
        return torch.stack([torch.stack([z[:, i].mean(-1) for i in word_ids]).mean(0) for word_ids in self.label_ids], -1)


def weighted_pool(hidden, ids, mask, token_weights):
    """A weighted mean of the attended tokens' vectors, each weighted by its token's weight (an IDF, as TF-IDF
    weighs words): words every email has (greetings, sign-offs, [CLS], [SEP]) count less than the rare ones."""
    w = token_weights[ids] * mask.float()
    return (hidden * w[:, :, None]).sum(1) / w.sum(1, keepdim=True).clamp(min=1e-9)


def idf_weights(tok, texts, vocab_size, max_len, unseen=None):
    """scikit-learn's smooth IDF over the training texts' first max_len tokens, ln((1 + n) / (1 + df)) + 1, one a
    token; a token no training text has gets `unseen` (default: the formula's, the largest weight)."""
    df = np.zeros(vocab_size)
    for t in texts:
        df[list(set(encode_cut(tok, t, max_len)))] += 1
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    if unseen is not None:
        idf[df == 0] = unseen
    return torch.tensor(idf, dtype=torch.float32)


def pooled(model, ids, mask, pool, token_weights=None):
    """The encoder's output read as one vector: 'mean' (the app's), 'max' over attended tokens, 'meanmax' the two side
    by side (ULMFiT's concat pooling), 'cls' the first token's, or 'idf' a mean weighted by token_weights."""
    hidden = model.bert(ids, mask).float()
    if pool == 'idf':
        return weighted_pool(hidden, ids, mask, token_weights)
    if pool in ('mean', 'cls'):
        return mean_pool(hidden, mask) if pool == 'mean' else hidden[:, 0]
    top = hidden.masked_fill(~mask[:, :, None].bool(), float('-inf')).amax(1)
    # one encoder pass for both halves, so they share its dropout masks
    return top if pool == 'max' else torch.cat([mean_pool(hidden, mask), top], -1)


def features(model, ids, mask, kind, bag_words=None, pool='mean', token_weights=None):
    if kind == 'encoder':
        return pooled(model, ids, mask, pool, token_weights)
    vectors = (bag_words or model.bert.embeddings.word_embeddings)(ids).float()
    bag = weighted_pool(vectors, ids, mask, token_weights) if pool == 'idf' else mean_pool(vectors, mask)
    return bag if kind == 'bag' else torch.cat([embed(model, ids, mask), bag], -1)


class Head(nn.Module):
    """A linear head on one kind of features; 'ensemble' keeps two, one on the encoder output and one on the bag,
    each trained by its own loss (so neither leans on the other) and read as a weighted mean of log-probabilities."""

    def __init__(self, hidden, n, kind, bag_weight=0.5, bag_words=None, prompt=None, pool='mean', token_weights=None):
        super().__init__()
        self.token_weights = token_weights
        self.kind, self.bag_weight, self.prompt, self.pool = kind, bag_weight, prompt, pool
        self.bag_words = bag_words  # the bag's own copy of the word embeddings, or None to share the model's
        kinds = ['encoder', 'bag'] if kind == 'ensemble' else (['encoder'] if prompt and prompt.plus_head else []) \
            if kind == 'prompt' else [kind]
        width = {'both': 2, 'encoder': 2 if pool == 'meanmax' else 1}
        self.linears = nn.ModuleDict({k: nn.Linear(hidden * width.get(k, 1), n) for k in kinds})
        for lin in self.linears.values():
            nn.init.normal_(lin.weight, 0, 0.02)
            nn.init.zeros_(lin.bias)

    def logits(self, model, ids, mask):
        if self.prompt:
            z = self.prompt.logits(model, ids, mask)
            # --prompt-plus-head: a fresh head on the mean-pooled embedding adds its logits to the cloze's
            return {'prompt': z + self.linears['encoder'](embed(model, ids, mask)).float() if self.prompt.plus_head else z}
        return {k: lin(features(model, ids, mask, k, self.bag_words, self.pool, self.token_weights)).float() for k, lin in self.linears.items()}

    def loss(self, model, ids, mask, y):
        return sum(F.cross_entropy(z, y) for z in self.logits(model, ids, mask).values())

    def scores(self, model, ids, mask):
        z = self.logits(model, ids, mask)
        if self.kind != 'ensemble':
            return z[self.kind]
        return (1 - self.bag_weight) * F.log_softmax(z['encoder'], -1) + self.bag_weight * F.log_softmax(z['bag'], -1)


def finetune(base, tok, train, test, *, method, targets, r, lr, epochs, batch, max_len, seed, word_drop=0.0,
             train_embeddings=False, emb_lr=None, kind='encoder', device='cpu', bag_weight=0.5,
             own_bag=False, augment_kinds=None, predictions=None, eval_max_len=None, eval_windows=0, train_windows='', schedule='app', weight_average=0.0,
             template=None, verbalizer=None, train_mlm_head=False, prompt_plus_head=False, pool='mean',
             rdrop=0.0, aux_mlm=0.0, unseen_weight=None):
    torch.manual_seed(seed)
    model = copy.deepcopy(base)
    if method == 'lora':
        with_lora(model, targets, r, 2 * r, 0.1)
    elif method == 'frozen':
        for p in model.parameters():
            p.requires_grad_(False)
    model.to(device)  # after with_lora, whose adapter parameters are made on the CPU
    words = model.bert.embeddings.word_embeddings.weight
    if train_embeddings:
        # PEFT's modules_to_save on the word embeddings: LoRA on the layers, the embedding matrix trained whole.
        words.requires_grad_(True)
    labels = sorted(set(train[1]))
    bag_words = copy.deepcopy(model.bert.embeddings.word_embeddings).requires_grad_(True) if own_bag else None
    prompt = Prompt(tok, template, verbalizer or {}, labels, prompt_plus_head) if kind == 'prompt' else None
    if prompt and train_mlm_head:
        model.cls.requires_grad_(True)
    token_weights = idf_weights(tok, train[0], words.shape[0], max_len, unseen_weight).to(device) if pool == 'idf' else None
    head = Head(words.shape[1], len(labels), kind, bag_weight, bag_words, prompt, pool, token_weights).to(device)
    encode = (lambda texts, n: prompt.rows(tok, texts, n)) if prompt else (lambda texts, n: batch_ids(tok, texts, n))
    # word-embedding matrices train at their own rate and without weight decay, as trainable tokens do in the app
    tables = [w for w in (words, bag_words.weight if bag_words is not None else None) if w is not None and w.requires_grad]
    rest = [p for p in [*model.parameters(), *head.parameters()] if p.requires_grad and all(p is not w for w in tables)]
    groups = [{'params': rest}] + [{'params': [w], 'lr': emb_lr if emb_lr is not None else lr, 'weight_decay': 0.0} for w in tables]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.01)
    if train_windows:
        # every window of each training text: 'all' trains on each as an example of its own (more steps); 'random'
        # draws one of a text's windows each epoch (the same steps as reading its first max_len tokens)
        text_windows = [windows(tok.encode(t), max_len, (max_len - 2) // 2) for t in train[0]]
        if train_windows == 'all':
            train = ([w for ws in text_windows for w in ws], [l for ws, l in zip(text_windows, train[1]) for _ in ws])
            text_windows = [[w] for w in train[0]]
        encode_train = lambda idx: pad_rows([text_windows[j][rng.integers(len(text_windows[j]))] for j in idx])
    total = math.ceil(len(train[0]) / batch) * epochs
    # The app's schedule (src/train/schedule.ts: 10 % linear warm-up, linear decay to zero) and its gradient clipping
    # at norm 1 (src/config.ts); trials before 2026-11-28 ran at a constant rate without clipping (--schedule constant).
    warm = math.ceil(total * 0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda st: st / max(1, warm) if st < warm else max(0.0, (total - st) / max(1, total - warm))) if schedule == 'app' else None
    # Tail averaging: the run ends with the mean of the weights after each of its last steps (tried in the app too:
    # scripts/pretrain/trials/2026-11-28-weight-averaging.md).
    trainables = [*rest, *tables]
    first_averaged = total - max(1, math.ceil(weight_average * total)) + 1 if weight_average > 0 else None
    sums, averaged, done = [torch.zeros_like(p) for p in trainables] if first_averaged else None, 0, 0
    y = torch.tensor([labels.index(l) for l in train[1]], device=device)
    rng = np.random.default_rng(seed)
    by_class = {l: [j for j, t in enumerate(train[1]) if t == l] for l in labels}
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(train[0]))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            if train_windows:
                rows = encode_train(idx)
            else:
                texts = [train[0][j] for j in idx]
                if augment_kinds:
                    texts = [augment(t, rng, augment_kinds, lambda c=by_class[train[1][j]]: train[0][c[rng.integers(len(c))]])
                             for t, j in zip(texts, idx)]
                if word_drop > 0:
                    texts = [drop_words(t, rng, word_drop) for t in texts]
                rows = encode(texts, max_len)
            ids, mask = (t.to(device) for t in rows)
            with torch.autocast('cuda' if device == 'cuda' else 'cpu', dtype=torch.bfloat16):
                if rdrop > 0:
                    # R-Drop: two passes under independent dropout masks, each by its own cross-entropy, pulled
                    # together by their symmetric KL divergence
                    z1, z2 = head.logits(model, ids, mask)[kind], head.logits(model, ids, mask)[kind]
                    p1, p2 = F.log_softmax(z1, -1), F.log_softmax(z2, -1)
                    kl = (F.kl_div(p1, p2, log_target=True, reduction='batchmean')
                          + F.kl_div(p2, p1, log_target=True, reduction='batchmean')) / 2
                    loss = (F.cross_entropy(z1, y[idx]) + F.cross_entropy(z2, y[idx])) / 2 + rdrop * kl
                else:
                    loss = head.loss(model, ids, mask, y[idx])
                if aux_mlm > 0:
                    # masked-language modelling on the same batch beside the classifier's loss: the MLM head's
                    # transform and bias stay as pretrained; LoRA and the word rows (its tied decoder) get both losses
                    gen = torch.Generator().manual_seed(int(rng.integers(1 << 31)))
                    corrupted, selected, _ = mask_tokens(ids.cpu(), model.config.vocab_size, gen)
                    selected = (selected & mask.cpu().bool()).to(device)
                    if selected.any():
                        z = model.logits_at(model.bert(corrupted.to(device), mask)[selected]).float()
                        loss = loss + aux_mlm * F.cross_entropy(z, ids[selected])
            opt.zero_grad()
            loss.backward()
            if sched is not None:
                torch.nn.utils.clip_grad_norm_(trainables, 1.0)
            opt.step()
            if sched is not None:
                sched.step()
            done += 1
            if first_averaged and done >= first_averaged:
                averaged += 1
                with torch.no_grad():
                    for acc, p in zip(sums, trainables):
                        acc.add_(p.detach())
    if averaged:
        with torch.no_grad():
            for acc, p in zip(sums, trainables):
                p.copy_(acc / averaged)
    model.eval()
    preds, parts = [], []
    with torch.no_grad():
        if eval_windows:
            # every window of each text is scored; a text's prediction is the mean of its windows' log-probabilities
            rows, owner = [], []
            for k, t in enumerate(test[0]):
                for w in windows(tok.encode(t), eval_max_len or max_len, eval_windows):
                    rows.append(w)
                    owner.append(k)
            logp = []
            for i in range(0, len(rows), 64):
                ids, mask = (t.to(device) for t in pad_rows(rows[i:i + 64]))
                logp.append(F.log_softmax(head.scores(model, ids, mask).float(), -1).cpu())
            logp, owner = torch.cat(logp), torch.tensor(owner)
            summed = torch.zeros(len(test[0]), logp.shape[1]).index_add_(0, owner, logp)
            preds = summed.argmax(-1).tolist()
        else:
            for i in range(0, len(test[0]), 64):
                ids, mask = (t.to(device) for t in encode(test[0][i:i + 64], eval_max_len or max_len))
                preds += head.scores(model, ids, mask).argmax(-1).tolist()
                if kind == 'ensemble':
                    parts.append({k: F.log_softmax(z, -1).cpu() for k, z in head.logits(model, ids, mask).items()})
    if parts:  # each head alone and other mixes, to stderr, so one run shows where the ensemble sits
        enc, bag = (torch.cat([p[k] for p in parts]) for k in ('encoder', 'bag'))
        truth = torch.tensor([labels.index(t) for t in test[1]])
        mixes = {w: float(((1 - w) * enc + w * bag).argmax(-1).eq(truth).float().mean()) for w in (0, .25, .5, .75, 1)}
        print(json.dumps({'seed': seed, 'bag_weight_accuracy': mixes}), file=sys.stderr)
    if predictions:
        with open(predictions, 'a') as f:
            for text, p, t in zip(test[0], preds, test[1]):
                f.write(json.dumps({'seed': seed, 'kind': kind, 'text': text, 'label': t, 'predicted': labels[p]}) + '\n')
    return float(np.mean([labels[p] == t for p, t in zip(preds, test[1])]))


def windows(ids, length, stride):
    """[CLS] ... [SEP] windows of at most `length` ids over the text between ids' own [CLS] and [SEP], each starting
    `stride` word pieces after the one before; the last ends at the text's end."""
    body, n = ids[1:-1], length - 2
    starts = list(range(0, max(1, len(body) - n + 1), stride))
    if starts[-1] + n < len(body):
        starts.append(len(body) - n)
    return [[CLS, *body[s:s + n], SEP] for s in starts]


def load_any(args):
    if args.model_dir:
        from compare_models import load
        _, model, tok = load(args.model_dir, random_weights=args.random)
        if getattr(args, 'embeddings_from_twin', False):
            _, other, _ = load(args.model_dir, random_weights=not args.random)
            with torch.no_grad():
                model.bert.embeddings.word_embeddings.weight.copy_(other.bert.embeddings.word_embeddings.weight)
        if getattr(args, 'embeddings_from', None):
            vectors = torch.from_numpy(np.load(args.embeddings_from)).float()
            with torch.no_grad():
                model.bert.embeddings.word_embeddings.weight.copy_(vectors)
        if getattr(args, 'keep_layers', -1) >= 0:
            model.bert.encoder.layer = model.bert.encoder.layer[:args.keep_layers]
        return model, tok
    ck = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
    cfg = BertConfig(**ck['config'])
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.1
    model = BertForMaskedLM(cfg)
    model.load_state_dict(ck['model'])
    return model, wordpiece.WordPiece(wordpiece.load_vocab(args.vocab))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--model-dir')
    ap.add_argument('--random', action='store_true', help='with --model-dir: the same shape, weights re-drawn')
    ap.add_argument('--checkpoint')
    ap.add_argument('--vocab')
    ap.add_argument('--emails-train', required=True)
    ap.add_argument('--method', default='lora')
    ap.add_argument('--targets', default='query,value')
    ap.add_argument('--r', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--max-len', type=int, default=64)
    ap.add_argument('--schedule', default='app', choices=['app', 'constant'],
                    help="app: the app's warm-up, linear decay and clipping; constant: the rate of trials before 2026-11-28")
    ap.add_argument('--weight-average', type=float, default=0.0, help='end with the mean weights over this share of the last steps')
    ap.add_argument('--eval-max-len', type=int, help='cut test texts to this many tokens (default: --max-len)')
    ap.add_argument('--eval-windows', type=int, default=0, help='read each whole test text as windows of --eval-max-len tokens, each starting this many tokens after the last, and average their log-probabilities')
    ap.add_argument('--train-windows', default='', choices=['', 'all', 'random'], help="read training texts whole as windows of --max-len: 'all' each an example, 'random' one a text each epoch")
    ap.add_argument('--rdrop', type=float, default=0.0, help='R-Drop: two dropout passes a batch, this weight on their symmetric KL')
    ap.add_argument('--aux-mlm', type=float, default=0.0, help='this weight on a masked-language-modelling loss on each training batch')
    ap.add_argument('--seeds', default='0,1')
    ap.add_argument('--emails-test', default=EMAILS, help='the test emails (chat JSONL); default the first hand-written set')
    ap.add_argument('--fortunes', action='store_true', help='also the fortunes topics, 5-fold')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--word-drop', type=float, default=0.0, help='drop each training word with this probability, per epoch')
    ap.add_argument('--train-embeddings', action='store_true', help='with --method lora or frozen: train the word embeddings too')
    ap.add_argument('--emb-lr', type=float, help='the word embeddings\' learning rate (default: --lr)')
    ap.add_argument('--features', default='encoder', choices=['encoder', 'bag', 'both', 'ensemble', 'prompt'],
                    help='what the head reads: the mean-pooled encoder output, the mean of the input word embeddings, '
                         'or both side by side')
    ap.add_argument('--bag-weight', type=float, default=0.5, help='with --features ensemble: the bag head\'s share')
    ap.add_argument('--own-bag', action='store_true', help='with --features ensemble: the bag trains its own copy of the word embeddings')
    ap.add_argument('--augment', default='', help='template-breaking views, KIND:P,... of shuffle, crop, splice, synonym')
    ap.add_argument('--predictions', help='append each test email\'s prediction to this JSONL file')
    ap.add_argument('--keep-layers', type=int, default=-1, help='keep only the first K encoder layers')
    ap.add_argument('--embeddings-from-twin', action='store_true',
                    help='with --model-dir: the word embeddings of the other model (pretrained ↔ random twin)')
    ap.add_argument('--embeddings-from', help='with --model-dir: word embeddings from this .npy (vocabulary × hidden)')
    ap.add_argument('--template', default='this email is about [MASK] .', help='with --features prompt: the cloze put before each text')
    ap.add_argument('--verbalizer', default='invoice=bill', help='with --features prompt: LABEL=WORD[|WORD...],... (a label not named is its own word)')
    ap.add_argument('--train-mlm-head', action='store_true', help='with --features prompt: the MLM head\'s transform and bias train too')
    ap.add_argument('--prompt-plus-head', action='store_true', help='with --features prompt: a fresh head on the mean-pooled embedding adds its logits')
    ap.add_argument('--pool', default='mean', choices=['mean', 'max', 'meanmax', 'cls', 'idf'], help='how the head reads the output (idf: a mean weighted by each token\'s IDF over the training texts; also for --features bag)')
    ap.add_argument('--unseen-weight', type=float, help='with --pool idf: the weight of a token no training text has (default: the IDF formula\'s, the largest)')
    args = ap.parse_args()
    if args.rdrop and args.features == 'ensemble':
        ap.error('--rdrop compares one head\'s two passes; --features ensemble has two heads')
    torch.set_num_threads(args.threads)
    model, tok = load_any(args)
    kw = dict(method=args.method, targets=args.targets.split(','), r=args.r, lr=args.lr, epochs=args.epochs,
              batch=args.batch, max_len=args.max_len, word_drop=args.word_drop,
              train_embeddings=args.train_embeddings, emb_lr=args.emb_lr, kind=args.features, device=args.device, bag_weight=args.bag_weight, own_bag=args.own_bag,
              predictions=args.predictions, eval_max_len=args.eval_max_len, eval_windows=args.eval_windows, train_windows=args.train_windows, schedule=args.schedule, weight_average=args.weight_average,
              template=args.template, verbalizer=dict(x.split('=') for x in args.verbalizer.split(',') if x), train_mlm_head=args.train_mlm_head, prompt_plus_head=args.prompt_plus_head, pool=args.pool, rdrop=args.rdrop, aux_mlm=args.aux_mlm, unseen_weight=args.unseen_weight, augment_kinds={k: float(p) for k, p in (x.split(':') for x in args.augment.split(',') if x)})
    train, test = read_chat(args.emails_train), read_chat(args.emails_test)
    seeds = [int(s) for s in args.seeds.split(',')]
    res = {'emails': [finetune(model, tok, train, test, seed=s, **kw) for s in seeds]}
    if args.fortunes:
        res['fortunes'] = float(np.mean([finetune(model, tok, tr, te, seed=0, **kw) for tr, te in fortune_folds()]))
    res['emails_mean'] = float(np.mean(res['emails']))
    print(json.dumps({**{k: v for k, v in vars(args).items() if v not in (None, False)}, **res}))


if __name__ == '__main__':
    main()
