// Tokenisation through @xenova/transformers' own tokenizer classes, built from the tokenizer.json we loaded
// ourselves (so no hub call happens here, in Node or the browser).
import { BertTokenizer, DistilBertTokenizer, PreTrainedTokenizer, env } from '@xenova/transformers';

// We never let transformers.js fetch models on its own: files come through src/model/load.ts.
env.allowLocalModels = false;

export interface TextTokenizer {
  /** Ids with [CLS] … [SEP], truncated to maxLen keeping the final [SEP]. */
  encode(text: string, maxLen: number): number[];
  /** Word pieces, for display and teaching. */
  tokens(text: string): string[];
  readonly vocabSize: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number;
  idToToken(id: number): string;
}

export function createTokenizer(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, modelType: string): TextTokenizer {
  const Cls = modelType === 'distilbert' ? DistilBertTokenizer : modelType === 'bert' ? BertTokenizer : PreTrainedTokenizer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tok: any = new Cls(tokenizerJson, tokenizerConfig);
  const vocab: Map<string, number> = tok.model.tokens_to_ids;
  const idOf = (t: string, fallback: number) => vocab.get(t) ?? fallback;
  const clsId = idOf(tokenizerConfig.cls_token as string ?? '[CLS]', idOf('[CLS]', 101));
  const sepId = idOf(tokenizerConfig.sep_token as string ?? '[SEP]', idOf('[SEP]', 102));
  const padId = idOf(tokenizerConfig.pad_token as string ?? '[PAD]', 0);
  const maskId = idOf(tokenizerConfig.mask_token as string ?? '[MASK]', 103);
  const vocabList: string[] = tok.model.vocab;
  return {
    vocabSize: vocabList.length,
    clsId,
    sepId,
    padId,
    maskId,
    idToToken: (id) => vocabList[id] ?? '[UNK]',
    tokens: (text) => (tok.encode(text, null, { add_special_tokens: false }) as (number | bigint)[]).map((i) => vocabList[Number(i)]),
    encode(text, maxLen) {
      // Ids may come back as BigInt on some paths of transformers.js: make them plain numbers.
      const ids = (tok.encode(text) as (number | bigint)[]).map((x) => Number(x));
      if (ids.length <= maxLen) return ids;
      return [...ids.slice(0, maxLen - 1), sepId];
    },
  };
}
