"""Writes public/models/tabtune-mini/README.md (the model card) from what the pipeline measured, all in the work
folder: sources.json (corpus), tokens.json (token counts), metrics.json (MLM settings, loss curve, held-out
accuracy), contrastive.json (the sentence stage), mlm_compare.json (held-out masked-token accuracy of v2, v1 and the
random twin), checks.json and checks-random.json (scripts/checks/realtext.ts for v2 and its twin). v1's figures,
measured once before v1 was replaced, are in scripts/pretrain/v1_figures.json."""
import argparse
import json
import os

WORDNET_NOTICE = """WordNet Release 3.0. This software and database is being provided to you, the LICENSEE, by Princeton
University under the following license. By obtaining, using and/or copying this software and database, you
agree that you have read, understood, and will comply with these terms and conditions.: Permission to use, copy,
modify and distribute this software and database and its documentation for any purpose and without fee or
royalty is hereby granted, provided that you agree to comply with the following copyright notice and statements,
including the disclaimer, and that the same appear on ALL copies of the software, database and documentation,
including modifications that you make for internal use or for distribution. WordNet 3.0 Copyright 2006 by
Princeton University. All rights reserved. THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS FOR ANY PARTICULAR
PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY
PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton may not be used in
advertising or publicity pertaining to distribution of the software and/or database. Title to copyright in this
software, database and any associated documentation shall at all times remain with Princeton University and
LICENSEE agrees to preserve same."""


def ascii_plot(points, width=64, height=14) -> str:
    xs = [p['step'] for p in points]
    ys = [p['loss'] for p in points]
    lo, hi = min(ys), max(ys)
    grid = [[' '] * width for _ in range(height)]
    for x, y in zip(xs, ys):
        c = round((x - xs[0]) / max(1, xs[-1] - xs[0]) * (width - 1))
        r = round((hi - y) / max(1e-9, hi - lo) * (height - 1))
        grid[r][c] = '*'
    lines = []
    for r, row in enumerate(grid):
        label = hi - (hi - lo) * r / (height - 1)
        lines.append(f'{label:6.2f} |' + ''.join(row))
    lines.append('       +' + '-' * width)
    lines.append(f'        step {xs[0]}' + ' ' * (width - 14 - len(str(xs[-1]))) + f'step {xs[-1]}')
    return '\n'.join(lines)


def svg_plot(points, width=640, height=320, pad=48) -> str:
    """The loss curve as a small standalone SVG (the hub and GitHub render it in the card)."""
    xs = [p['step'] for p in points]
    ys = [p['loss'] for p in points]
    lo, hi = min(ys), max(ys)
    px = lambda x: pad + (x - xs[0]) / max(1, xs[-1] - xs[0]) * (width - 2 * pad)  # noqa: E731
    py = lambda y: pad + (hi - y) / max(1e-9, hi - lo) * (height - 2 * pad)  # noqa: E731
    path = ' '.join(f'{"M" if i == 0 else "L"}{px(x):.1f},{py(y):.1f}' for i, (x, y) in enumerate(zip(xs, ys)))
    ticks = []
    for k in range(5):
        y = lo + (hi - lo) * k / 4
        ticks.append(f'<text x="{pad - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>'
                     f'<line x1="{pad}" x2="{width - pad}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        x = xs[0] + (xs[-1] - xs[0]) * k / 4
        ticks.append(f'<text x="{px(x):.1f}" y="{height - pad + 16}" text-anchor="middle">{x:.0f}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
            f'font-size="11"><rect width="100%" height="100%" fill="white"/>{"".join(ticks)}'
            f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'
            f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">step</text>'
            f'<text x="{width / 2}" y="20" text-anchor="middle">tabtune-mini MLM training loss</text></svg>\n')


def pct(x: float) -> str:
    return f'{100 * x:.1f}%'


def fmt_check(c: dict, task: str, key: str) -> str:
    v = (c or {}).get(task, {}).get(key)
    return pct(v) if isinstance(v, (int, float)) else 'n/a'


def fine_tuned(c: dict, task: str) -> float | None:
    """A check's fine-tuned figure: the mean over seeds when realtext.ts ran it with --seeds (a run's seed alone
    moves an email figure by several points), else its one run."""
    r = (c or {}).get(task, {})
    return r.get('fineTunedMean', r.get('fineTuned'))


def fmt_fine_tuned(c: dict, task: str) -> str:
    r, v = (c or {}).get(task, {}), fine_tuned(c, task)
    if v is None:
        return 'n/a'
    seeds = r.get('fineTunedBySeed')
    return pct(v) + (f' ({" / ".join(f"{100 * x:.1f}" for x in seeds)})' if seeds and len(seeds) > 1 else '')


def fmt_lead(c: dict, task: str) -> str:
    """The fine-tuned model's lead over the bag of words in points, with realtext.ts's 95 % paired interval."""
    d = (c or {}).get(task, {}).get('vsBagOfWords')
    if not d:
        return 'n/a'
    p = lambda x: f'{100 * x:+.1f}'  # noqa: E731
    return f'{p(d["difference"])} ({p(d["low95"])} to {p(d["high95"])})'


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    ap.add_argument('--v1', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'v1_figures.json'))
    args = ap.parse_args()

    def load(name, default=None):
        p = os.path.join(args.work, name)
        return json.load(open(p)) if os.path.exists(p) else default

    sources, tokens, m = load('sources.json'), load('tokens.json'), load('metrics.json')
    con, mlm, checks, twin = load('contrastive.json'), load('mlm_compare.json', {}), load('checks.json'), \
        load('checks-random.json')
    v1 = json.load(open(args.v1)) if os.path.exists(args.v1) else {}
    config = json.load(open(os.path.join(args.model_dir, 'config.json')))
    s = m['settings']
    final = m.get('final_f16', m['final'])
    curve = m['curve']
    every = max(1, len(curve) // 16)
    table_rows = [p for i, p in enumerate(curve) if i % every == 0 or i == len(curve) - 1]
    unigram_token = open(os.path.join(args.model_dir, 'vocab.txt')).read().split('\n')[m['unigram_token_id']]
    gpu = load('gpu.json', {})
    if s.get('device') == 'cuda':
        device = f'one {gpu.get("gpu", "NVIDIA GPU")}' + (f' (PyTorch {gpu["torch"]})' if gpu.get('torch') else '')
        beside = gpu.get('beside', 'other work running beside it')
    else:
        device = f'{s["threads"]} CPU threads of a shared 2-core machine'
        beside = 'other work running beside it'
    torch_version = gpu.get('torch', '1.13') if s.get('device') == 'cuda' else '1.13'
    minutes = m['train_seconds'] / 60

    out = []
    w = out.append
    w('---\nlanguage: en\nlicense: other\nlibrary_name: transformers\npipeline_tag: fill-mask\n'
      'tags: [tabtune, bert, fill-mask, sentence-similarity, pretrained]\n---\n')
    w('# tabtune-mini (v2)\n')
    w('A small BERT encoder pretrained for tabtune, in two stages: **masked-language modelling** on English text '
      'that Debian installs, then a **sentence-embedding stage** (contrastive, in-batch negatives) that trains the '
      'mean-pooled embedding both tabtune\'s zero-shot "before" and its classifier read. Made end to end by '
      '`scripts/pretrain/` in this repository (seeded, resumable). It ships with tabtune as its offline base model. '
      'It is in the Hugging Face hub\'s formats (`config.json`, `model.safetensors`, `tokenizer.json`, '
      '`tokenizer_config.json`, `vocab.txt`, and `modules.json` + `1_Pooling/` declaring mean pooling) with the '
      'tensor names of transformers\' `BertForMaskedLM`; tabtune\'s own loader reads it, and its MLM predictions '
      'match the PyTorch model it was trained as (`test/unit/tabtune-mini.test.ts`). Licence: the training text '
      'keeps its own licences (below); no separate licence has been chosen for the weights yet, hence '
      '`license: other`.\n')

    w('## How it compares\n')
    w('One table, every figure measured by this repository\'s scripts. v1 is the previous tabtune-mini (4 layers, '
      'hidden 192, 8k vocabulary, MLM only on WordNet and package descriptions); the random twin is v2\'s '
      'architecture and tokenizer with every weight re-drawn (`tabtune-mini-random` in the page). Fine-tuning uses '
      'each model\'s command-line defaults (src/config.ts `MODEL_DEFAULTS`; v1 with the defaults it shipped with); '
      'the bag-of-words baseline is TF-IDF (word 1-2-grams, sublinear tf) + logistic regression '
      '(`src/baseline/`, equal to scikit-learn\'s) trained on exactly the same examples.\n')
    w('| | v2 | v1 | v2 random twin |\n|---|---|---|---|')
    mv2, mv1, mtw = mlm.get('v2'), v1.get('mlm'), mlm.get('v2-random')
    f = lambda r, k: pct(r[k]) if r else 'n/a'  # noqa: E731
    w(f'| held-out masked-token accuracy (own tokenizer) | **{f(mv2, "accuracy")}** | {f(mv1, "accuracy")} | '
      f'{f(mtw, "accuracy")} |')
    w(f'| most-frequent-token baseline, same positions | {f(mv2, "unigram_accuracy")} | '
      f'{f(mv1, "unigram_accuracy")} | {f(mtw, "unigram_accuracy")} |')
    sts = lambda c: (f'{c["sts"]["meanPooledSpearman"]:.3f}' if c and 'sts' in c else 'n/a')  # noqa: E731
    v1c = v1.get('checks')
    w(f'| graded-pair similarity, Spearman (mean-pooled cosine) | **{sts(checks)}** | {sts(v1c)} | {sts(twin)} |')
    tf_sts = (checks or v1c or {}).get('sts', {}).get('tfidfSpearman')
    w(f'| ... TF-IDF cosine on the same pairs | {tf_sts:.3f} | {tf_sts:.3f} | {tf_sts:.3f} |' if tf_sts is not None
      else '| ... TF-IDF cosine | n/a | n/a | n/a |')
    for task, title in (('emails', 'hand-written emails (trained on 2,000 generated)'),
                        ('emails2', 'second hand-written set (200, written without sight of the generator)'),
                        ('emails3', 'third hand-written set (640, four writers on the same terms)'),
                        ('fortunes', 'fortunes topics (5 classes, 5-fold)')):
        w(f'| {title}: zero-shot | {fmt_check(checks, task, "zeroShot")} | {fmt_check(v1c, task, "zeroShot")} | '
          f'{fmt_check(twin, task, "zeroShot")} |')
        seeds = (checks or {}).get(task, {}).get('seeds')
        label = f'... fine-tuned, mean of seeds {", ".join(map(str, seeds))} (each seed)' if seeds and len(seeds) > 1 \
            else '... fine-tuned'
        w(f'| {label} | **{fmt_fine_tuned(checks, task)}** | {fmt_fine_tuned(v1c, task)} | '
          f'{fmt_fine_tuned(twin, task)} |')
        w(f'| ... TF-IDF + logistic regression, same data | {fmt_check(checks, task, "bagOfWords")} | '
          f'{fmt_check(v1c, task, "bagOfWords")} | {fmt_check(twin, task, "bagOfWords")} |')
        w(f'| ... fine-tuned minus TF-IDF, points (95 % paired interval) | {fmt_lead(checks, task)} | '
          f'{fmt_lead(v1c, task)} | {fmt_lead(twin, task)} |')
    w('')
    if checks:
        c = checks['config']
        w(f'v2\'s fine-tuning defaults (the command line\'s and the page\'s): {c["method"]}, learning rate {c["lr"]}, '
          f'{c["epochs"]} epochs, batch {c["batchSize"]}, {c["maxLen"]} tokens'
          + (' (training reads the first of a text; scoring reads it whole, in windows of that many)' if c.get('readWhole') else '')
          + (f', LoRA r {c["loraR"]} on {", ".join(c["loraTargets"])}' if c['method'] == 'lora' else '')
          + (', with trainable tokens (the embedding rows of the training data\'s tokens train too)'
             if c.get('trainTokens') else '') + '.')
        names = {'emails': 'hand-written emails', 'emails2': 'second hand-written set', 'emails3': 'third hand-written set',
                 'fortunes': 'fortunes'}
        gaps = [(t, fine_tuned(checks, t) - checks[t]['bagOfWords']) for t in ('emails', 'emails2', 'emails3', 'fortunes')
                if t in checks]
        if gaps:
            w(' Against the bag-of-words baseline, fine-tuned: ' + '; '.join(
                f'{names[t]} {"+" if g >= 0 else "-"}{abs(g) * 100:.1f} points' for t, g in gaps) + '.')
        if 'emails' in checks:
            w(f' The email run took {checks["emails"]["seconds"]:.0f} s ({checks["emails"]["steps"]} steps) in Node on '
              f'wasm on this machine, with other work running.')
        w('\n')
    w('The checks: `src/data/handwritten-emails.jsonl` (205 emails written by hand for the project, with a written '
      'labelling rule for the ambiguous ones; fine-tuned on the page\'s 2,000 generated emails, so the test text '
      'follows none of the generator\'s templates), `handwritten-emails-2.jsonl` (200 more, written under the same '
      'rule without sight of the generator, the first set or its errors), `handwritten-emails-3.jsonl` (640 more, by '
      'four writers on the second set\'s terms, so that a lead of a few points can be told from chance), '
      '`fortunes-topics.jsonl` (700 quotes from Debian\'s `fortunes` '
      'package in five of its own categories, text the pretraining corpus does not contain) and `sts-pairs.tsv` '
      '(260 sentence pairs judged 0-5 by hand). `npx tsx scripts/checks/realtext.ts --model DIR` recomputes a '
      'column; `test/unit/realtext-checks.test.ts` reports the figures that need no fine-tuning on every test run. '
      'Masked-token accuracy is over each model\'s own tokens of the same held-out documents (v2\'s held-out 1%, '
      'which no model trained on), so compare each with its own most-frequent-token line.\n')

    w('## Model\n')
    w(f'- BERT, post-LayerNorm, exact GELU: {config["num_hidden_layers"]} layers, hidden {config["hidden_size"]}, '
      f'{config["num_attention_heads"]} heads, intermediate {config["intermediate_size"]}, '
      f'{config["max_position_embeddings"]} positions, 2 token types, vocabulary {config["vocab_size"]}.')
    w(f'- {m["params"] - config["hidden_size"] * (config["hidden_size"] + 1):,} parameters as stored '
      f'(the MLM decoder is tied to the word embeddings; no pooler: like every BertForMaskedLM checkpoint, '
      f'`BertModel` initialises its pooler fresh); weights in F16, {m["file_bytes"] / 1e6:.1f} MB.')
    w('- Tensor names as transformers writes them: `bert.embeddings.*`, `bert.encoder.layer.N.*`, '
      '`cls.predictions.transform.{dense,LayerNorm}.*`, `cls.predictions.bias`.')
    w('- Tokenizer: BERT WordPiece (lowercase, accents stripped, split on whitespace and punctuation, `##` '
      'continuations, `[PAD]`=0 `[UNK]`=1 `[CLS]`=2 `[SEP]`=3 `[MASK]`=4), trained on the corpus by '
      '`scripts/pretrain/wordpiece.py` (byte-pair merges over word counts, like HF\'s WordPiece trainer). '
      '`@xenova/transformers`\' `BertTokenizer` gives the same ids as the training tokenizer on held-out text '
      '(checked by `scripts/pretrain/check_tokenizer.mjs`).\n')

    w('## Corpus\n')
    w(f'{sources["train_characters"] + sources["heldout_characters"]:,} characters in '
      f'{sources["train_documents"] + sources["heldout_documents"]:,} documents (a paragraph or a dictionary entry '
      f'each) after cleaning, filtering and exact deduplication; {tokens["train"]["tokens"]:,} training tokens, '
      f'{tokens["heldout"]["tokens"]:,} held-out tokens (1% of documents, chosen by a hash of their text, never '
      f'trained on). Text folded to ASCII. Everything comes from Debian 12 packages (`scripts/pretrain/sources.py`); '
      f'Debian\'s `fortunes` is left out on purpose, because a real-text check uses it.\n')
    w('| source | Debian packages | documents | characters | licence |\n|---|---|---|---|---|')
    for name, c in sources['sources'].items():
        pk = ', '.join(f'`{p}`' for p in c['packages']) or 'apt `Translation-en` index'
        w(f'| {c["what"]} | {pk} | {c["documents"]:,} | {c["characters"]:,} | {c["licence"]} |')
    w('')
    from run_all import CORPUS_WEIGHTS
    w(f'The vocabulary was trained on the plain corpus (every document once). The model was trained on a weighted '
      f'one: each training document of a source is written as many times as its weight says, a fraction meaning '
      f'that share of the documents (`CORPUS_WEIGHTS` in `scripts/pretrain/run_all.py`: `{CORPUS_WEIGHTS}`), which '
      f'puts modern prose (package descriptions, Debian\'s manuals) up and the 1913 dictionary down; the counts '
      f'above are of that weighted corpus. The held-out documents are the same in both.\n')

    w('## Stage 1: masked-language modelling\n')
    w(f'As BERT: 15% of non-special tokens selected, of those 80% `[MASK]`, 10% a random token, 10% unchanged; loss '
      f'at the selected positions (the decoder runs on those only). Windows of {s["seq"]} tokens (`[CLS]` + '
      f'{s["seq"] - 2} + `[SEP]`) at random offsets in the packed training stream (documents separated by `[SEP]`), '
      f'batch {s["batch"]}; AdamW (betas 0.9/0.98, eps 1e-6, weight decay {s["weight_decay"]} on matrices), peak '
      f'learning rate {s["lr"]}, linear warmup over {pct(s["warmup"])} of the steps then linear decay to zero, '
      f'gradient clipping at 1.0, no dropout while pretraining (config.json keeps BERT\'s 0.1 for fine-tuning), '
      f'{s.get("precision", "fp32")} products with fp32 weights, seed {s["seed"]}, PyTorch {torch_version}.\n')
    sweep = load('sweep.json')
    if sweep:
        w('Why this size: ' + sweep['note'] + '\n')
        w('| candidate | parameters | corpus | MLM steps (tokens) | held-out masked tokens after MLM | after stage 2, F16 '
          '| graded pairs, Spearman | hand-written emails, LoRA / full (probe) | fortunes, LoRA (probe) | demo run |'
          '\n|---|---|---|---|---|---|---|---|---|---|')
        for r in sweep['rows']:
            w(f'| {r["name"]} | {r["params"]:,} | {r["corpus"]} | {r["steps"]:,} ({r["tokens"] / 1e6:.0f} M) | '
              f'{pct(r["mlm"])} | {r.get("mlm_f16") and pct(r["mlm_f16"]) or "n/a"} | '
              f'{r.get("sts") and format(r["sts"], ".3f") or "n/a"} | {pct(r["emails_lora"])} / {pct(r["emails_full"])} | '
              f'{r.get("fortunes") and pct(r["fortunes"]) or "n/a"} | {r.get("demo", "n/a")} |')
        w('')
    speed = load('speed.json')
    if speed:
        w('Why this size: ' + speed['note'] + ' bf16 products (oneDNN) made a step 2.5x faster than fp32. At about '
          '6,600 tokens/s, an hour and a half sees about 25 M tokens, enough for roughly 3 M non-embedding parameters '
          'at the usual 10-20 tokens per parameter, which is 4 layers of hidden 256; wider or deeper models would see '
          'a fraction of the text in the same time. The vocabulary (12,288) keeps most words of the corpus whole '
          'while its embedding table stays within the 20 MB budget. No held-out-loss ablation of these choices was '
          'run: compute went to the one run.\n')
        w('| hidden | layers | threads | precision | s/step | tokens/s |\n|---|---|---|---|---|---|')
        for r in speed['rows']:
            w(f'| {r["hidden"]} | {r["layers"]} | {r["threads"]} | {r["precision"]} | {r["seconds_per_step"]:.2f} | '
              f'{r["tokens_per_second"]:,} |')
        w('')
    w(f'- ran on {device}: {m["steps_done"]:,} steps, {m["tokens_seen"]:,} tokens seen '
      f'({m["tokens_seen"] / m["train_tokens"]:.2f} passes over the corpus) in {minutes:.1f} minutes '
      f'({m["tokens_seen"] / max(1, m["train_seconds"]):,.0f} tokens/s, {beside})')
    w(f'- final training loss (mean of the last {s["log_every"]} steps): {curve[-1]["loss"]:.3f}\n')
    with open(os.path.join(args.model_dir, 'loss_curve.svg'), 'w') as fh:
        fh.write(svg_plot(curve))
    w('![MLM training loss](loss_curve.svg)\n')
    w('```\n' + ascii_plot(curve) + '\n```\n')
    w('| step | MLM loss | learning rate | minutes |\n|---|---|---|---|')
    for p in table_rows:
        w(f'| {p["step"]} | {p["loss"]:.3f} | {p["lr"]:.2e} | {p.get("seconds", 0) / 60:.1f} |')
    w('')
    if m['evals']:
        w('Held-out loss per minute (first 256 windows of the held-out text, fixed masks):\n')
        w('| step | minutes | tokens seen | held-out loss | masked-token accuracy | top-5 |\n|---|---|---|---|---|---|')
        for e in m['evals']:
            w(f'| {e["step"]} | {e.get("seconds", 0) / 60:.1f} | {e.get("tokens_seen", 0):,} | {e["loss"]:.3f} | '
              f'{pct(e["accuracy"])} | {pct(e["top5_accuracy"])} |')
        w('')
    w(f'After stage 1, on all {final["windows"]} held-out windows ({final["masked_tokens"]:,} masked positions), '
      f'the shipped F16 weights: see the table above; the most frequent training token is `{unigram_token}`.\n')

    if con:
        cs = con['settings']
        ev = con['evals']
        w('## Stage 2: sentence embeddings\n')
        w(f'Contrastive training of the mean-pooled embedding with in-batch negatives (symmetric InfoNCE, '
          f'temperature {cs["temperature"]}), batch {cs["batch"]}, {cs["steps"]} steps, learning rate {cs["lr"]}, '
          f'dropout {cs["dropout"]}, texts cut to {cs["max_len"]} tokens; one pair type per batch, in turn: a '
          f'package\'s one-line summary and its description ({con["pairs"]["package"]:,} pairs), a WordNet synset\'s '
          f'lemmas and its gloss ({con["pairs"]["wordnet"]:,}), and one corpus sentence seen twice through different '
          f'dropout (SimCSE; {con["simcse_sentences"]:,} sentences). An MLM term (weight {cs["mlm_weight"]}, '
          f'{cs["mlm_batch"]} windows a step) keeps the model filling in `[MASK]`. {con["seconds"] / 60:.0f} '
          f'minutes on {device}. Pairs come from training documents only.\n')
        w('Spearman correlation on the page\'s probe pairs (`src/guards/probe-set.ts`, the development set; the '
          'graded pairs above are kept for the final figure):\n')
        w('| step | Spearman |\n|---|---|')
        for e in ev:
            w(f'| {e["step"]} | {e["dev_spearman"]:.3f} |')
        w('')

    w('## Rerun\n')
    w('```\n/usr/bin/python3 scripts/pretrain/run_all.py            # all on this machine\'s CPU (hours; resumes)\n\n'
      '# or train on a GPU machine that can download nothing:\n'
      '/usr/bin/python3 scripts/pretrain/run_all.py --data-only\n'
      '/usr/bin/python3 scripts/pretrain/gpu_sweep.py pack --work tmp/pretrain --out gpu-pretrain   # 39 MB\n'
      'python3 scripts/pretrain/gpu_sweep.py run --payload gpu-pretrain --out "$OUT" --only a-256x4 '
      f'--mlm-steps {m["steps_done"]}   # there\n'
      '/usr/bin/python3 scripts/pretrain/gpu_sweep.py unpack --results RESULTS --into tmp/gpu\n'
      '/usr/bin/python3 scripts/pretrain/run_all.py --trained tmp/gpu/a-256x4\n```\n')
    w('builds the corpus twice (`corpus.py`, installing the Debian packages it reads: once plain, for the vocabulary, '
      'once weighted, for training), trains the vocabulary and tokenises (`tokenize_corpus.py`; the token stream is '
      'one uint16 file, `train_ids.npy`, so it can travel to a GPU machine, xz-compressed by `gpu_sweep.py pack`), '
      'checks the tokenizer against transformers.js, pretrains (`pretrain.py`), runs the sentence '
      'stage (`contrastive.py`), writes the hub files and test goldens (`export.py`), runs the real-text checks '
      '(`scripts/checks/realtext.ts`) and writes this card (`make_card.py`). Working files go to `tmp/pretrain/` '
      '(ignored by git). Every stage resumes: run the same command after a stop and it continues from its last '
      'checkpoint (weights, optimizer, step, data and random state, written every 3 minutes); a stopped and '
      'resumed run ends with the same weights as one that was not stopped. The exact stage-1 command was\n')
    w(f'```\npretrain.py --hidden {s["hidden"]} --layers {s["layers"]} --heads {s["heads"]} --batch {s["batch"]} '
      f'--seq {s["seq"]} --steps {m["steps_done"]} --lr {s["lr"]} --seed {s["seed"]} --threads {s["threads"]} '
      f'--precision {s.get("precision", "fp32")} --device {s.get("device", "cpu")}\n```\n')
    w('## WordNet licence notice\n')
    w(WORDNET_NOTICE + '\n')
    with open(os.path.join(args.model_dir, 'README.md'), 'w') as fh:
        fh.write('\n'.join(out))
    print('wrote', os.path.join(args.model_dir, 'README.md'))


if __name__ == '__main__':
    main()
