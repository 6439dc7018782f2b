// A small seeded PRNG (mulberry32): 32-bit integer arithmetic only (Math.imul, >>>), so the same seed gives the
// same sequence on every platform and JS engine; data order, splits, generated data and initialisation are
// reproducible from a seed. Not for cryptography.
export interface Rng {
  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number;
  /** Uniform integer in [0, n), n an integer in 1..2^32. */
  int(n: number): number;
  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** The generator's state: createRng(rng.state()) continues the sequence exactly where rng is. */
  state(): number;
}

/** `seed` is taken as an unsigned 32-bit integer (seed >>> 0). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new Error(`rng.int(n): n must be an integer in 1..2^32, got ${n}.`);
    return Math.floor(next() * n);
  };
  return {
    next,
    int,
    shuffle<T>(items: T[]) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
    state: () => a,
  };
}

/** Mixes two integers into a new seed (e.g. run seed and epoch), so each epoch has its own reproducible order. */
export function mixSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
