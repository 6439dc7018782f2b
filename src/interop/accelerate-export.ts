// "Train on a bigger machine": the same run as a folder for Hugging Face transformers + peft under
// `accelerate launch` (one GPU, many GPUs, many nodes). Same base model, method, hyperparameters and pinned splits;
// it writes a PEFT adapter that imports back into tabtune for comparison.
import type { TrainConfig } from '../config';
import type { DataSplits } from '../domain';
import { toChatJsonl } from '../data/synth';

export function accelerateExportFiles(run: { modelId: string; config: TrainConfig; data: DataSplits; instruction?: string }): Record<string, string> {
  const c = run.config;
  const settings = {
    base_model: run.modelId,
    method: c.method,
    labels: run.data.labels,
    epochs: c.epochs,
    learning_rate: c.lr,
    batch_size: c.batchSize,
    weight_decay: c.weightDecay,
    warmup_ratio: c.warmupRatio,
    max_grad_norm: c.maxGradNorm,
    max_length: c.maxLen,
    seed: c.seed,
    lora: { r: c.loraR, alpha: c.loraAlpha, dropout: c.loraDropout, target_modules: c.loraTargets, train_tokens: c.method === 'lora' && c.trainTokens },
  };
  // LoraConfig's trainable_token_indices came with peft 0.15.
  const peft = settings.lora.train_tokens ? 'peft>=0.15' : 'peft>=0.10';
  return {
    'config.json': JSON.stringify(settings, null, 2) + '\n',
    'data/train.jsonl': toChatJsonl(run.data.train, run.instruction),
    'data/validation.jsonl': toChatJsonl(run.data.validation, run.instruction),
    'data/test.jsonl': toChatJsonl(run.data.test, run.instruction),
    'requirements.txt': `torch>=2.1\ntransformers>=4.40\n${peft}\naccelerate>=0.28\ndatasets>=2.18\nscikit-learn>=1.3\n`,
    'train.py': TRAIN_PY,
    'README.md': README + notReproduced(c),
  };
}

/** tabtune-only mitigations that train.py does not implement, named so nobody expects identical results. */
function notReproduced(c: TrainConfig): string {
  const parts = [
    c.rehearsal > 0 ? `rehearsal (weight ${c.rehearsal}) is not reproduced by train.py` : '',
    c.mixShare > 0 ? `mixed data: the ${Math.round(c.mixShare * 100)} % of examples mixed in from an earlier dataset are not in data/train.jsonl` : '',
  ].filter(Boolean);
  return parts.length ? `\nThis run used tabtune-only settings: ${parts.join('; ')}.\n` : '';
}

const TRAIN_PY = `#!/usr/bin/env python3
"""Fine-tunes the run exported from tabtune with transformers + peft; launch with accelerate (see README.md)."""
import json
import numpy as np
import torch
from datasets import Dataset
from peft import LoraConfig, TaskType, get_peft_model
from sklearn.metrics import accuracy_score, f1_score
import transformers
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                          TrainingArguments, set_seed)

cfg = json.load(open("config.json"))
labels = cfg["labels"]
label2id = {l: i for i, l in enumerate(labels)}
set_seed(cfg["seed"])
# transformers 5 loads a model in the dtype its config names (tabtune-mini ships float16) and folded warmup_ratio
# into warmup_steps; train in float32 on either major version.
V5 = int(transformers.__version__.split(".")[0]) >= 5
FLOAT32 = {"dtype": torch.float32} if V5 else {"torch_dtype": torch.float32}
WARMUP = {"warmup_steps": cfg["warmup_ratio"]} if V5 else {"warmup_ratio": cfg["warmup_ratio"]}


def load(split):
    rows = []
    for line in open(f"data/{split}.jsonl", encoding="utf-8"):
        if not line.strip():
            continue
        messages = json.loads(line)["messages"]
        text = next(m["content"] for m in messages if m["role"] == "user")
        label = next(m["content"] for m in messages if m["role"] == "assistant")
        rows.append({"text": text, "label": label2id[label]})
    return Dataset.from_list(rows)


tokenizer = AutoTokenizer.from_pretrained(cfg["base_model"])


def tokenize(batch):
    return tokenizer(batch["text"], truncation=True, max_length=cfg["max_length"])


splits = {s: load(s).map(tokenize, batched=True) for s in ("train", "validation", "test")}
model = AutoModelForSequenceClassification.from_pretrained(
    cfg["base_model"], num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id, **FLOAT32)
if cfg["method"] == "lora":
    lora = cfg["lora"]
    # tabtune's trainable tokens: the embedding rows of every token id the training split uses (padding aside).
    tokens = {}
    if lora.get("train_tokens"):
        used = {i for ids in splits["train"]["input_ids"] for i in ids} - {tokenizer.pad_token_id}
        tokens = {"trainable_token_indices": sorted(used)}
    model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=lora["r"], lora_alpha=lora["alpha"],
                                             lora_dropout=lora["dropout"], target_modules=lora["target_modules"],
                                             **tokens))
elif cfg["method"] == "head":
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith(("classifier", "pre_classifier"))


def metrics(p):
    pred = np.argmax(p.predictions, axis=-1)
    return {"accuracy": accuracy_score(p.label_ids, pred), "macro_f1": f1_score(p.label_ids, pred, average="macro")}


args = TrainingArguments(
    output_dir="out", num_train_epochs=cfg["epochs"], learning_rate=cfg["learning_rate"],
    per_device_train_batch_size=cfg["batch_size"], per_device_eval_batch_size=cfg["batch_size"],
    weight_decay=cfg["weight_decay"], max_grad_norm=cfg["max_grad_norm"],
    lr_scheduler_type="linear", eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True,
    metric_for_best_model="eval_loss", seed=cfg["seed"], report_to=[], **WARMUP)
trainer = Trainer(model=model, args=args, train_dataset=splits["train"], eval_dataset=splits["validation"],
                  data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=metrics)
trainer.train()
print(json.dumps({"test": trainer.evaluate(splits["test"], metric_key_prefix="test")}))
if trainer.is_world_process_zero():
    trainer.model.save_pretrained("adapter")  # adapter_config.json + adapter_model.safetensors: import into tabtune
    tokenizer.save_pretrained("adapter")
    # The label names, in the head's order, so tabtune can match the head to its dataset when importing.
    json.dump({"labels": labels, "base_model": cfg["base_model"], "method": cfg["method"]}, open("adapter/tabtune.json", "w"), indent=2)
`;

const README = `# This run, on a bigger machine

Exported from tabtune: the same base model, method, hyperparameters (config.json) and the same pinned
train / validation / test splits (data/). \`train.py\` uses Hugging Face transformers + peft and runs under
accelerate, on one GPU, many GPUs or many nodes.

\`\`\`sh
pip install -r requirements.txt
accelerate config                      # once: pick GPUs / nodes
accelerate launch train.py             # one machine, all its GPUs
accelerate launch --num_machines 2 --machine_rank 0 --main_process_ip HOST --main_process_port 29500 train.py  # node 0 of 2
\`\`\`

It prints the test accuracy and macro-F1 and writes the adapter to \`adapter/\` (adapter_config.json +
adapter_model.safetensors, and tabtune.json with the label names); zip that folder and import it in tabtune's Runs
view ("Import a PEFT adapter") to compare it with the in-browser run.
Note: transformers' classification head for BERT sits on the pooler (dense + tanh) where tabtune's is a single
linear layer on the pooled vector, so the head differs; the encoder, LoRA and data are the same.
`;
