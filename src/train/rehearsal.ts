// Rehearsal keeps general English where the base model put it while a run trains: a few fixed sentences whose
// embeddings the loss pulls back towards the base model's (src/guards/rehearsal-set.ts has the sentences).
import type { TrainConfig } from '../config';
import type { LoadedModel } from '../model/load';
import { embedTexts } from '../model/zeroshot';
import { REHEARSAL_TEXTS } from '../guards/rehearsal-set';
import type { RehearsalData } from './loop';

/** The rehearsal sentences, tokenised and padded, with the base model's unit-length embeddings of them. */
export async function rehearsalData(base: LoadedModel, cfg: Pick<TrainConfig, 'rehearsal' | 'maxLen'>, texts = REHEARSAL_TEXTS, perStep = 8): Promise<RehearsalData> {
  const ids = texts.map((t) => base.tokenizer.encode(t, cfg.maxLen));
  const seqLen = Math.max(...ids.map((r) => r.length));
  const H = base.config.hiddenSize;
  const embeddings = await embedTexts(base, ids, { batchSize: 32, maxLen: cfg.maxLen });
  const targets = new Float32Array(ids.length * H);
  embeddings.forEach((e, i) => {
    const norm = Math.sqrt(e.reduce((s, x) => s + x * x, 0)) || 1;
    for (let j = 0; j < H; j++) targets[i * H + j] = e[j] / norm;
  });
  const inputIds = new Int32Array(ids.length * seqLen).fill(base.config.padTokenId);
  const attentionMask = new Int32Array(ids.length * seqLen);
  ids.forEach((r, i) => r.forEach((id, j) => ((inputIds[i * seqLen + j] = id), (attentionMask[i * seqLen + j] = 1))));
  return { inputIds, attentionMask, count: ids.length, seqLen, targets, hidden: H, weight: cfg.rehearsal, perStep };
}
