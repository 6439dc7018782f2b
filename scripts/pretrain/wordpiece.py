"""A BERT WordPiece tokenizer, written out so no `tokenizers` library is needed: training, encoding and the
Hugging Face tokenizer.json / tokenizer_config.json / vocab.txt files.

Normalisation and pre-tokenisation follow HF's BertNormalizer (clean text, pad CJK, strip accents, lowercase)
and BertPreTokenizer (split on whitespace, each punctuation character is its own word). Encoding is WordPiece's
greedy longest-match-first with "##" continuations; a word longer than 100 characters, or one that cannot be
covered by the vocabulary, becomes [UNK] as a whole, like BertTokenizer.

Training is byte-pair merging over word counts (how HF's WordPieceTrainer builds its vocabulary too): start from
every character (word-initial and "##" forms) and merge the most frequent adjacent pair until the vocabulary is
full. Ties break on the pair's text, so the vocabulary is the same on every run.
"""
import heapq
import json
import unicodedata
from collections import Counter, defaultdict

SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
PREFIX = '##'
MAX_CHARS = 100


def _is_control(c: str) -> bool:
    if c in '\t\n\r':
        return False
    return unicodedata.category(c) in ('Cc', 'Cf')


def _is_whitespace(c: str) -> bool:
    return c in ' \t\n\r' or unicodedata.category(c) == 'Zs'


def _is_punctuation(c: str) -> bool:
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith('P')


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text: str) -> str:
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        if _is_whitespace(c):
            out.append(' ')
        elif _is_cjk(cp):
            out.append(f' {c} ')
        else:
            out.append(c)
    text = unicodedata.normalize('NFD', ''.join(out))
    text = ''.join(c for c in text if unicodedata.category(c) != 'Mn')
    return text.lower()


def pre_tokenize(text: str) -> list:
    words = []
    for chunk in text.split():
        cur = []
        for c in chunk:
            if _is_punctuation(c):
                if cur:
                    words.append(''.join(cur))
                    cur = []
                words.append(c)
            else:
                cur.append(c)
        if cur:
            words.append(''.join(cur))
    return words


def basic_words(text: str) -> list:
    return pre_tokenize(normalize(text))


def train_vocab(lines, vocab_size: int, min_word_count: int = 2, min_char_count: int = 20) -> list:
    counts = Counter()
    for line in lines:
        counts.update(basic_words(line))
    words = [(w, c) for w, c in counts.items() if c >= min_word_count and len(w) <= MAX_CHARS]
    char_counts = Counter()
    for w, c in words:
        for i, ch in enumerate(w):
            char_counts[ch if i == 0 else PREFIX + ch] += c
    # Every printable ASCII character in both forms, so ordinary English text never falls back to [UNK].
    alphabet = set()
    for cp in range(33, 127):
        alphabet.add(chr(cp))
        alphabet.add(PREFIX + chr(cp))
    alphabet.update(t for t, c in char_counts.items() if c >= min_char_count)
    vocab = list(SPECIALS) + sorted(alphabet)
    known = set(vocab)

    syms = [[w[0]] + [PREFIX + ch for ch in w[1:]] for w, _ in words]
    freq = [c for _, c in words]
    pair_count = defaultdict(int)
    where = defaultdict(set)
    for wi, s in enumerate(syms):
        for a, b in zip(s, s[1:]):
            pair_count[(a, b)] += freq[wi]
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    def merged(a, b):
        return a + (b[len(PREFIX):] if b.startswith(PREFIX) else b)

    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -negc or negc == 0:
            continue  # stale heap entry
        a, b = pair
        new = merged(a, b)
        if new not in known:
            vocab.append(new)
            known.add(new)
        touched = set()
        for wi in list(where[pair]):
            s = syms[wi]
            f = freq[wi]
            for x, y in zip(s, s[1:]):
                pair_count[(x, y)] -= f
                touched.add((x, y))
            out = []
            i = 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            syms[wi] = out
            for x, y in zip(out, out[1:]):
                pair_count[(x, y)] += f
                where[(x, y)].add(wi)
                touched.add((x, y))
        del where[pair]
        pair_count.pop(pair, None)
        touched.discard(pair)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
    return vocab


class WordPiece:
    def __init__(self, vocab: list):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.unk = self.ids['[UNK]']
        self.cls = self.ids['[CLS]']
        self.sep = self.ids['[SEP]']
        self.pad = self.ids['[PAD]']
        self.mask = self.ids['[MASK]']
        self._cache = {}

    def word_ids(self, word: str) -> list:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        if len(word) > MAX_CHARS:
            return [self.unk]
        out = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else PREFIX + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                out = [self.unk]
                break
            out.append(found)
            start = end
        if len(self._cache) < 1_000_000:
            self._cache[word] = out
        return out

    def encode(self, text: str, special: bool = True) -> list:
        ids = [i for w in basic_words(text) for i in self.word_ids(w)]
        return [self.cls] + ids + [self.sep] if special else ids


def tokenizer_json(vocab: list) -> dict:
    ids = {t: i for i, t in enumerate(vocab)}
    added = [{'id': ids[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
              'normalized': False, 'special': True} for t in SPECIALS]
    cls, sep = '[CLS]', '[SEP]'
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True,
                       'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': cls, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                       {'SpecialToken': {'id': sep, 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': cls, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'SpecialToken': {'id': sep, 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}},
                     {'SpecialToken': {'id': sep, 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [ids[t]], 'tokens': [t]} for t in (cls, sep)},
        },
        'decoder': {'type': 'WordPiece', 'prefix': PREFIX, 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': PREFIX,
                  'max_input_chars_per_word': MAX_CHARS, 'vocab': ids},
    }


def tokenizer_config(max_len: int) -> dict:
    return {
        'do_lower_case': True,
        'model_max_length': max_len,
        'cls_token': '[CLS]',
        'sep_token': '[SEP]',
        'pad_token': '[PAD]',
        'mask_token': '[MASK]',
        'unk_token': '[UNK]',
        'tokenize_chinese_chars': True,
        'strip_accents': None,
        'tokenizer_class': 'BertTokenizer',
    }


def write_files(vocab: list, out_dir: str, max_len: int) -> None:
    import os
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False, indent=2)
    with open(os.path.join(out_dir, 'tokenizer_config.json'), 'w') as f:
        json.dump(tokenizer_config(max_len), f, indent=2)
    with open(os.path.join(out_dir, 'vocab.txt'), 'w') as f:
        f.write('\n'.join(vocab) + '\n')


def load_vocab(path: str) -> list:
    with open(path) as f:
        return f.read().rstrip('\n').split('\n')
