// TF-IDF with scikit-learn's semantics, so a baseline figure computed here is the figure a practitioner gets from
//   TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True,
//                   token_pattern=r"(?u)\b\w\w+\b", smooth_idf=True, norm="l2")
// Checked against sklearn 1.2 in test/unit/baseline.test.ts (goldens from scripts/make_baseline_goldens.py).
// Plain typed arrays and no platform APIs: it runs the same in a worker, the page and Node.
//
// Known differences from sklearn, all in the Unicode tables rather than the method:
// - Python's `\w` (str mode) is "isalnum() or underscore": letters (L*), numbers (Nd, Nl, No) and `_`, which is
//   exactly [\p{L}\p{N}_] — checked code point by code point against Python 3.11 (Unicode 14): no difference
//   among characters Unicode 14 assigns. A JS engine with newer tables (Node 20 has Unicode 15+) also counts as
//   word characters the letters and digits added since, which Python 3.11 treats as separators.
// - Lowercasing is String.prototype.toLowerCase against Python's str.lower(): both are the locale-free full
//   mapping with the final-sigma rule, and they differ only on characters added after Unicode 14.
// Combining marks (Mn, Mc) are word characters in neither, so decomposed "café" (e + U+0301) splits, as in sklearn.

/** One document as a sparse row: column indices ascending, with their values. */
export interface SparseRow {
  indices: Int32Array;
  values: Float64Array;
}

// A maximal run of two or more word characters is what `\b\w\w+\b` matches: the match can only start where a run
// starts (the \b), and the greedy \w+ then takes the whole run (the closing \b).
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** sklearn's analyzer: lowercase, tokenize, then the unigrams followed by the bigrams of consecutive tokens. */
export function analyze(text: string): string[] {
  const tokens = text.toLowerCase().match(TOKEN) ?? [];
  const terms = tokens.slice();
  for (let i = 0; i + 1 < tokens.length; i++) terms.push(`${tokens[i]} ${tokens[i + 1]}`);
  return terms;
}

// sklearn numbers its columns by Python's sorted(), i.e. by code point. JS's default sort compares UTF-16 code
// units, which puts astral characters (surrogates, D800-DFFF) before U+E000-FFFF (fullwidth forms, for one);
// lifting the surrogates above FFFF-range units restores code point order.
function unitRank(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  if (u >= 0xe000) return u - 0x800;
  return u;
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

function countTerms(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of analyze(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

export class TfidfVectorizer {
  /** term -> column, columns in code point order of the terms (sklearn's vocabulary_). */
  vocabulary = new Map<string, number>();
  /** Smoothed idf per column: ln((1 + n) / (1 + df)) + 1 (sklearn's idf_). */
  idf = new Float64Array(0);

  fit(texts: string[]): this {
    this.fitCounts(texts.map(countTerms));
    return this;
  }

  /** fit then transform, analysing each text once. */
  fitTransform(texts: string[]): SparseRow[] {
    const counts = texts.map(countTerms);
    this.fitCounts(counts);
    return counts.map((c) => this.row(c));
  }

  /** Terms absent from the fitted vocabulary are dropped; a text with none gives an empty row (all zeros). */
  transform(texts: string[]): SparseRow[] {
    if (this.vocabulary.size === 0) throw new Error('TfidfVectorizer.transform: call fit first.');
    return texts.map((t) => this.row(countTerms(t)));
  }

  /** Column -> term, sklearn's get_feature_names_out(). */
  terms(): string[] {
    const out = new Array<string>(this.vocabulary.size);
    for (const [term, column] of this.vocabulary) out[column] = term;
    return out;
  }

  private fitCounts(docs: Map<string, number>[]): void {
    const df = new Map<string, number>();
    for (const doc of docs) for (const term of doc.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    // Same failure as sklearn: a corpus with no token of two or more word characters has nothing to learn from.
    if (df.size === 0) throw new Error('TfidfVectorizer.fit: empty vocabulary; the texts contain no word of two or more letters or digits.');
    const sorted = [...df.keys()].sort(compareCodePoints);
    this.vocabulary = new Map(sorted.map((term, column) => [term, column]));
    this.idf = new Float64Array(sorted.length);
    const n = docs.length;
    for (let j = 0; j < sorted.length; j++) this.idf[j] = Math.log((n + 1) / (df.get(sorted[j])! + 1)) + 1;
  }

  private row(counts: Map<string, number>): SparseRow {
    const entries: [number, number][] = [];
    for (const [term, count] of counts) {
      const column = this.vocabulary.get(term);
      if (column !== undefined) entries.push([column, count]);
    }
    entries.sort((x, y) => x[0] - y[0]);
    const indices = new Int32Array(entries.length);
    const values = new Float64Array(entries.length);
    let squares = 0;
    for (let k = 0; k < entries.length; k++) {
      const [column, count] = entries[k];
      indices[k] = column;
      // Same order of operations as sklearn: sublinear tf, times idf, then the row's l2 norm.
      values[k] = (1 + Math.log(count)) * this.idf[column];
      squares += values[k] * values[k];
    }
    // An empty row stays zero, as sklearn's normalize leaves zero-norm rows alone.
    if (squares > 0) {
      const norm = Math.sqrt(squares);
      for (let k = 0; k < values.length; k++) values[k] /= norm;
    }
    return { indices, values };
  }
}

/** Cosine similarity of two rows with ascending indices (as transform gives); 0 when either row is all zeros. */
export function cosineSparse(a: SparseRow, b: SparseRow): number {
  let dot = 0;
  for (let i = 0, j = 0; i < a.indices.length && j < b.indices.length; ) {
    if (a.indices[i] === b.indices[j]) dot += a.values[i++] * b.values[j++];
    else if (a.indices[i] < b.indices[j]) i++;
    else j++;
  }
  const na = squaredNorm(a.values);
  const nb = squaredNorm(b.values);
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function squaredNorm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return s;
}
