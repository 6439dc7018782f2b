"""BERT for masked-language modelling in plain torch, with Hugging Face's parameter names, so the state dict
saves straight to a hub-format model.safetensors (BertForMaskedLM: `bert.*` + `cls.predictions.*`).

Post-LayerNorm, exact (erf) GELU, absolute positions, token types; the MLM decoder is tied to the word
embeddings and has its own bias, as in BERT.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class BertConfig:
    vocab_size: int = 8192
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    max_position_embeddings: int = 128
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    initializer_range: float = 0.02
    pad_token_id: int = 0

    def hub_json(self) -> dict:
        return {
            'architectures': ['BertForMaskedLM'],
            'model_type': 'bert',
            **asdict(self),
            'hidden_act': 'gelu',
            'position_embedding_type': 'absolute',
            'classifier_dropout': None,
            'use_cache': True,
            'torch_dtype': 'float16',
            'transformers_version': '4.40.0',
        }


class Embeddings(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, ids, token_types):
        pos = torch.arange(ids.shape[1], device=ids.device)[None, :]
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_types)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def forward(self, x, mask_bias):
        B, T, H = x.shape
        d = H // self.heads
        split = lambda t: t.view(B, T, self.heads, d).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d) + mask_bias
        att = self.dropout(att.softmax(-1))
        return (att @ v).transpose(1, 2).reshape(B, T, H)


class DenseNorm(nn.Module):
    """BERT's "output" blocks: dense, dropout, residual, LayerNorm (post-LN)."""

    def __init__(self, c: BertConfig, d_in: int):
        super().__init__()
        self.dense = nn.Linear(d_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class Attention(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c, c.hidden_size)

    def forward(self, x, mask_bias):
        return self.output(self.self(x, mask_bias), x)


class Intermediate(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return F.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c, c.intermediate_size)

    def forward(self, x, mask_bias):
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, x, mask_bias):
        for layer in self.layer:
            x = layer(x, mask_bias)
        return x


class Pooler(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        # Not trained by MLM; kept so BertModel / BertForSequenceClassification load without missing keys.
        self.pooler = Pooler(c)

    def forward(self, ids, attention_mask, token_types=None):
        if token_types is None:
            token_types = torch.zeros_like(ids)
        mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(ids, token_types), mask_bias)


class Transform(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        # .float(): under CPU bf16 autocast the dense output is bf16 and torch 1.13's layer_norm wants one dtype.
        return self.LayerNorm(F.gelu(self.dense(x)).float())


class Predictions(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))


class Head(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.config = c
        self.bert = Bert(c)
        self.cls = Head(c)
        self.apply(self._init)

    def _init(self, m):
        std = self.config.initializer_range
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def logits_at(self, hidden):
        """MLM logits for the given hidden states (any leading shape): transform, then the tied decoder."""
        h = self.cls.predictions.transform(hidden)
        return h @ self.bert.embeddings.word_embeddings.weight.t() + self.cls.predictions.bias

    def forward(self, ids, attention_mask, token_types=None):
        return self.logits_at(self.bert(ids, attention_mask, token_types))

    def hub_state_dict(self) -> dict:
        """HF names; the decoder weight is tied, so like HF's safetensors files we store it once (the word
        embeddings); `cls.predictions.decoder.bias` is the same tensor as `cls.predictions.bias`."""
        return {k: v for k, v in self.state_dict().items()}
