// Writing noise of the kinds people make: slips of the finger, dropped punctuation, text-speak, caps lock,
// and non-native phrasing. Applied to the sender's own text only, never to a quoted or forwarded message.
import type { Rng } from '../../util/rng';
import { pick } from './slots';

const KEY_NEIGHBOURS: Record<string, string> = {
  a: 'sqw', b: 'vn', c: 'xv', d: 'sf', e: 'wr', f: 'dg', g: 'fh', h: 'gj', i: 'uo', j: 'hk', k: 'jl', l: 'k', m: 'n', n: 'bm', o: 'ip', p: 'o',
  q: 'w', r: 'et', s: 'ad', t: 'ry', u: 'yi', v: 'cb', w: 'qe', x: 'zc', y: 'tu', z: 'x',
};

/** One slip in a word: swap two letters, drop one, double one, or hit a neighbouring key. */
function slip(rng: Rng, w: string): string {
  if (w.length < 4 || !/^[a-z]+$/i.test(w)) return w;
  const i = 1 + rng.int(w.length - 2);
  switch (rng.int(4)) {
    case 0: return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
    case 1: return w.slice(0, i) + w.slice(i + 1);
    case 2: return w.slice(0, i) + w[i] + w.slice(i);
    default: {
      const near = KEY_NEIGHBOURS[w[i].toLowerCase()];
      return near ? w.slice(0, i) + pick(rng, [...near]) + w.slice(i + 1) : w;
    }
  }
}

const TEXT_SPEAK: [RegExp, string][] = [
  [/\byou\b/g, 'u'], [/\byour\b/g, 'ur'], [/\bplease\b/gi, 'pls'], [/\bthanks\b/gi, 'thx'], [/\bbecause\b/g, 'cos'], [/\bare\b/g, 'r'],
  [/\btomorrow\b/g, 'tmrw'], [/\bwith\b/g, 'w/'], [/\band\b/g, '&'], [/\bthe\b/g, 'teh'], [/\breceive\b/g, 'recieve'], [/\bseparate\b/g, 'seperate'],
];

/** Phrasing common in the English of people who learnt it as a second language (a few fixed patterns). */
const NON_NATIVE: [RegExp, string][] = [
  [/\bI have a question\b/g, 'I have one doubt'], [/\bplease\b/gi, 'kindly'], [/\bI can’t\b/g, 'I am not able to'], [/\bthe\b /g, ''],
  [/\bcould you\b/gi, 'can you please'], [/\bhas not\b/g, 'is not'], [/\bI am writing\b/g, 'I write'], [/\bASAP\b/g, 'at the earliest'],
  [/\bsoon\b/g, 'at the earliest'], [/\bproblem\b/g, 'issue'], [/\bthanks\b/gi, 'thanks and regards'],
];

export type NoiseKind = 'slips' | 'lowercase' | 'no-punctuation' | 'text-speak' | 'no-apostrophes' | 'caps' | 'non-native' | 'spacing';

/** Roughly one mail in three has some noise; a few have two kinds. */
export function pickNoise(rng: Rng, angry: boolean): NoiseKind[] {
  const kinds: NoiseKind[] = [];
  if (rng.next() < 0.16) kinds.push('slips');
  if (rng.next() < 0.06) kinds.push('lowercase');
  if (rng.next() < 0.06) kinds.push('no-punctuation');
  if (rng.next() < 0.05) kinds.push('text-speak');
  if (rng.next() < 0.06) kinds.push('no-apostrophes');
  if (rng.next() < 0.06) kinds.push('non-native');
  if (rng.next() < 0.04) kinds.push('spacing');
  if (rng.next() < (angry ? 0.2 : 0.015)) kinds.push('caps');
  return kinds;
}

export function applyNoise(rng: Rng, text: string, kinds: NoiseKind[]): string {
  let t = text;
  for (const k of kinds) {
    switch (k) {
      case 'slips': {
        const rate = 0.03 + rng.next() * 0.07;
        // Whole words only: a link, an address or a reference number is pasted, not typed.
        t = t.replace(/\S+/g, (tok) => {
          const m = /^([A-Za-z]+)([.,!?;:]?)$/.exec(tok);
          return m && rng.next() < rate ? slip(rng, m[1]) + m[2] : tok;
        });
        break;
      }
      case 'lowercase': t = t.toLowerCase(); break;
      case 'no-punctuation': t = t.replace(/[.,;!](?=\s|$)/g, ''); break;
      case 'text-speak': for (const [re, rep] of TEXT_SPEAK) if (rng.next() < 0.6) t = t.replace(re, rep); break;
      case 'no-apostrophes': t = t.replace(/[’']/g, ''); break;
      case 'non-native': for (const [re, rep] of NON_NATIVE) if (rng.next() < 0.5) t = t.replace(re, rep); break;
      case 'spacing': t = t.replace(/([.,]) (?=[A-Za-z])/g, (m, p: string) => (rng.next() < 0.5 ? p : `${p}  `)); break;
      // Shouting: the whole mail, or just its first sentence.
      case 'caps': t = rng.next() < 0.5 ? t.toUpperCase() : t.replace(/^[^.!?\n]*[.!?]?/, (s) => s.toUpperCase()); break;
    }
  }
  return t;
}
