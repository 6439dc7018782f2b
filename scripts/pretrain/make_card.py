"""Writes public/models/tabtune-mini/README.md (the model card) from what the pipeline measured:
sources.json (corpus), tokens.json (token counts), metrics.json (settings, loss curve, held-out accuracy)."""
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='tmp/pretrain')
    ap.add_argument('--model-dir', default='public/models/tabtune-mini')
    args = ap.parse_args()
    load = lambda name: json.load(open(os.path.join(args.work, name)))  # noqa: E731
    sources, tokens, m = load('sources.json'), load('tokens.json'), load('metrics.json')
    config = json.load(open(os.path.join(args.model_dir, 'config.json')))
    s = m['settings']
    final = m.get('final_f16', m['final'])
    curve = m['curve']
    every = max(1, len(curve) // 16)
    table_rows = [p for i, p in enumerate(curve) if i % every == 0 or i == len(curve) - 1]
    unigram_token = open(os.path.join(args.model_dir, 'vocab.txt')).read().split('\n')[m['unigram_token_id']]
    stopped_early = m['steps_done'] < s['steps']
    stop_after = f' --stop-after {m["steps_done"]}' if stopped_early else ''
    hours = m['train_seconds'] / 3600

    out = []
    w = out.append
    w('---\nlanguage: en\nlicense: other\nlibrary_name: transformers\npipeline_tag: fill-mask\n'
      'tags: [tabtune, bert, fill-mask, pretrained]\n---\n')
    w('# tabtune-mini\n')
    w('A small BERT encoder **pretrained with masked-language modelling** on English text that Debian can install, '
      'made by `scripts/pretrain/` in this repository (seeded, reproducible on a 2-core machine). It ships with '
      'tabtune as its offline base model: unlike the random-weight `tiny-bert`, it already knows some English, '
      'so fine-tuning it is real fine-tuning. It is in the Hugging Face hub\'s formats (`config.json`, '
      '`model.safetensors`, `tokenizer.json`, `tokenizer_config.json`, `vocab.txt`, and `modules.json` + '
      '`1_Pooling/` declaring mean pooling) with the tensor names of transformers\' `BertForMaskedLM`; tabtune\'s '
      'own loader reads it, and its MLM predictions match the PyTorch model it was trained as '
      '(`test/unit/tabtune-mini.test.ts`). Licence: the training text keeps its own licences (below); no '
      'separate licence has been chosen for the weights yet, hence `license: other`.\n')
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
    wn, deb = sources['sources']['wordnet'], sources['sources']['debian-descriptions']
    w(f'{sources["train_characters"] + sources["heldout_characters"]:,} characters in '
      f'{sources["train_documents"] + sources["heldout_documents"]:,} documents after cleaning and exact '
      f'deduplication; {tokens["train"]["tokens"]:,} training tokens, {tokens["heldout"]["tokens"]:,} held-out '
      f'tokens (1% of documents, chosen by a hash of their text). Text folded to ASCII (accents stripped).\n')
    w('| source | documents | characters | licence |\n|---|---|---|---|')
    w(f'| WordNet 3.0 glosses and examples (Debian package `wordnet-base`, `/usr/share/wordnet/data.*`), one synset '
      f'per line as "lemmas: gloss; \\"example\\"" | {wn["documents"]:,} | {wn["characters"]:,} | WordNet 3.0 '
      'licence (permissive; notice below) |')
    w(f'| Debian 12 (bookworm) package descriptions, every paragraph of the English long descriptions '
      f'(apt\'s `Translation-en` index, `apt-get update -o Acquire::Languages=en`), deduplicated | '
      f'{deb["documents"]:,} | {deb["characters"]:,} | each description is part of its package and under that '
      'package\'s licence; Debian main holds only DFSG-free software (GPL, BSD, MIT, Apache and the like) |\n')
    w('## Pretraining\n')
    w(f'Masked-language modelling as BERT: {pct(0.15)} of non-special tokens selected, of those 80% `[MASK]`, '
      f'10% a random token, 10% unchanged; loss at the selected positions. Windows of {s["seq"]} tokens '
      f'(`[CLS]` + {s["seq"] - 2} + `[SEP]`) at random offsets in the packed training stream (documents separated '
      f'by `[SEP]`), batch {s["batch"]}; AdamW (betas 0.9/0.98, eps 1e-6, weight decay {s["weight_decay"]} on '
      f'matrices), peak learning rate {s["lr"]}, linear warmup over {pct(s["warmup"])} of {s["steps"]} steps then '
      f'linear decay, gradient clipping at 1.0, dropout {s["dropout"]} while pretraining (config.json keeps BERT\'s '
      f'0.1 for fine-tuning), seed {s["seed"]}, PyTorch 1.13 on {s["threads"]} CPU thread.\n')
    w(f'- steps: {m["steps_done"]}' + (f' of the {s["steps"]} scheduled (stopped at the time limit; the '
                                        f'learning rate had decayed to {curve[-1]["lr"]:.1e})' if stopped_early else '')
      + f'; {m["tokens_seen"]:,} tokens seen ({m["tokens_seen"] / m["train_tokens"]:.2f} epochs)')
    w(f'- time: {m["train_seconds"] / 60:.0f} minutes on a shared 2-core machine')
    w(f'- final training loss (mean of the last {s["log_every"]} steps): {curve[-1]["loss"]:.3f}\n')
    w('### Loss curve\n')
    with open(os.path.join(args.model_dir, 'loss_curve.svg'), 'w') as f:
        f.write(svg_plot(curve))
    w('![MLM training loss](loss_curve.svg)\n')
    w('```\n' + ascii_plot(curve) + '\n```\n')
    w('| step | MLM loss | learning rate |\n|---|---|---|')
    for p in table_rows:
        w(f'| {p["step"]} | {p["loss"]:.3f} | {p["lr"]:.2e} |')
    w('')
    if m['evals']:
        w('Held-out checks during training (first windows of the held-out text, fixed masks):\n')
        w('| step | loss | masked-token accuracy | top-5 |\n|---|---|---|---|')
        for e in m['evals']:
            w(f'| {e["step"]} | {e["loss"]:.3f} | {pct(e["accuracy"])} | {pct(e["top5_accuracy"])} |')
        w('')
    w('## Masked-token accuracy on held-out text\n')
    w(f'All {final["windows"]} held-out windows, {final["masked_tokens"]:,} masked positions (same 80/10/10 '
      f'corruption, fixed seed), with the F16 weights as shipped:\n')
    w('| predictor | accuracy (top-1) | top-5 | loss |\n|---|---|---|---|')
    w(f'| tabtune-mini | **{pct(final["accuracy"])}** | {pct(final["top5_accuracy"])} | {final["loss"]:.3f} |')
    w(f'| unigram baseline (always the most frequent training token, `{unigram_token}`) | '
      f'{pct(final["unigram_accuracy"])} | | |\n')
    w('## Fine-tuning against random weights\n')
    ft_path = os.path.join(args.work, 'finetune.json')
    if os.path.exists(ft_path):
        ft = json.load(open(ft_path))
        st = ft['settings']
        w(f'The built-in email data ({ft["data"]["count"]} generated emails, seed {ft["data"]["seed"]}; stratified '
          f'split, the same held-out test examples for every model), fine-tuned by tabtune\'s own training session '
          f'(`scripts/pretrain/compare_finetune.py` runs `npm run train`) with the same settings for every model: '
          f'{st["method"]} r {st["r"]} alpha {st["alpha"]} on {st["targets"]}, {st["epochs"]} epochs, learning rate '
          f'{st["lr"]}, batch {st["batch"]}, {st["max-len"]} tokens, seed {st["seed"]}. "Before" is zero-shot '
          f'(nearest label name by embedding similarity), "after" the tuned classifier, both on the test split. '
          f'`tabtune-mini-random` is this model with every weight re-drawn as BERT initialises it (same '
          f'architecture and tokenizer); `tiny-bert` is the bundled random model (hidden 64, 2 layers).\n')
        w('| model | before (zero-shot) | after | macro-F1 after | validation loss per epoch | steps | time |\n'
          '|---|---|---|---|---|---|---|')
        for name, r in ft['results'].items():
            w(f'| {name} | {pct(r["before"]["accuracy"])} | **{pct(r["after"]["accuracy"])}** | '
              f'{pct(r["after"]["macro_f1"])} | {", ".join(f"{v:.3f}" for v in r["val_loss"])} | {r["steps"]} | '
              f'{r["seconds"]:.0f} s ({r["backend"]}) |')
        w('')
        w('Times are wall-clock with the runs side by side on a shared 2-core machine (other work was running): '
          'compare them with each other, not across machines.\n')
    else:
        w('Not measured: run `scripts/pretrain/compare_finetune.py` (part of `run_all.py`).\n')
    w('## Rerun\n')
    w('```\n/usr/bin/python3 scripts/pretrain/run_all.py\n```\n')
    w('runs every step with the settings above: installs `wordnet-base` and the apt English descriptions index '
      'if missing, builds the corpus (`corpus.py`), trains the vocabulary and tokenises (`tokenize_corpus.py`), '
      'checks the tokenizer against transformers.js (`tokenizer_cases.py`, `check_tokenizer.mjs`), pretrains '
      '(`pretrain.py`), writes the hub files and test goldens (`export.py`), fine-tunes it against random weights '
      '(`compare_finetune.py`) and writes this card (`make_card.py`). '
      'Working files go to `tmp/pretrain/` (ignored by git). It uses OpenBLAS (Debian `libopenblas0-serial`, '
      'installed if missing, loaded for this process only): Debian\'s torch otherwise runs on the reference BLAS, '
      f'about 20 times slower. Pretraining took {hours:.1f} hours here; the exact command was\n')
    w(f'```\npretrain.py --hidden {s["hidden"]} --layers {s["layers"]} --heads {s["heads"]} --batch {s["batch"]} '
      f'--seq {s["seq"]} --steps {s["steps"]} --lr {s["lr"]} --seed {s["seed"]}{stop_after}\n```\n')
    w('## WordNet licence notice\n')
    w(WORDNET_NOTICE + '\n')
    with open(os.path.join(args.model_dir, 'README.md'), 'w') as f:
        f.write('\n'.join(out))
    print('wrote', os.path.join(args.model_dir, 'README.md'))


if __name__ == '__main__':
    main()
