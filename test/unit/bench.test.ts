// The bench's analytic FLOP count (bench/shared.ts), checked against a hand count for one shape.
import { describe, expect, it } from 'vitest';
import { BATCH, flops, shapeByName } from '../../bench/shared';

describe('bench FLOP count', () => {
  it('matches a hand count for MiniLM-L6 at seq 32, batch 16', () => {
    const s = shapeByName('minilm-l6');
    // tokens 16·32 = 512. Per layer: Q, K, V, O are 384×384 and the FFN 384×1536 and 1536×384:
    // 2·512·(4·147456 + 2·589824) = 2·512·1769472 = 1811939328; attention QKᵀ and att·V: 4·16·32²·384 = 25165824.
    const perLayer = 1811939328 + 25165824;
    const forward = 6 * perLayer; // 11022630912
    expect(BATCH).toBe(16);
    expect(flops(s, 'head', 32)).toBe(forward);
    expect(flops(s, 'lora', 32)).toBe(2 * forward);
    expect(flops(s, 'full', 32)).toBe(3 * forward);
    expect(forward).toBe(11022630912);
  });

  it('grows linearly in the linear layers and quadratically in attention with the sequence length', () => {
    const s = shapeByName('distilbert');
    const linear = (seq: number) => 6 * 2 * 16 * seq * (4 * 768 * 768 + 2 * 768 * 3072);
    const attention = (seq: number) => 6 * 4 * 16 * seq * seq * 768;
    for (const seq of [32, 64, 128]) expect(flops(s, 'head', seq)).toBe(linear(seq) + attention(seq));
  });
});
