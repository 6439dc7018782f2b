// GatherV2 on tfjs-wasm copies whole rows along the first axis (src/runtime/wasm-gather.ts): the rows it returns are
// the bits tfjs's element-wise kernel returns, for tables and indices of several shapes, repeated indices and none;
// other gathers, and indices out of range, go to tfjs's kernel, whose error names the index; nothing leaks, and the
// embedding lookup's gradient is unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { rowGatherStats, setRowGather } from '../../src/runtime/wasm-gather';
import { embeddingLookup } from '../../src/model/embedding';
import { seeded } from '../helpers/seeded';

/** The gather of `make()` with rows on and with tfjs's kernel, as plain arrays, and whether rows ran. */
function both(make: () => tf.Tensor): { rows: number[]; elementwise: number[]; shape: number[]; took: boolean } {
  const before = rowGatherStats.gathers;
  const a = tf.tidy(make);
  const took = rowGatherStats.gathers > before;
  setRowGather(false);
  try {
    const b = tf.tidy(make);
    const out = { rows: Array.from(a.dataSync()), elementwise: Array.from(b.dataSync()), shape: a.shape, took };
    expect(b.shape).toEqual(a.shape);
    tf.dispose([a, b]);
    return out;
  } finally {
    setRowGather(true);
  }
}

describe('GatherV2 on wasm', () => {
  afterEach(() => setRowGather(true));

  it('takes whole rows along the first axis, bit for bit tfjs’s result', async () => {
    await useBackend('wasm');
    const start = tf.memory().numTensors;
    const table = tf.tensor2d(seeded(50 * 24, 1), [50, 24]);
    const ids2d = tf.tensor2d([[3, 49, 0, 3], [7, 7, 12, 1]], [2, 4], 'int32');
    const r = both(() => tf.gather(table, ids2d));
    expect(r.took).toBe(true);
    expect(r.shape).toEqual([2, 4, 24]);
    expect(r.rows).toEqual(r.elementwise);
    // Row 49, second in the output, is the table's last row.
    expect(r.rows.slice(24, 48)).toEqual(Array.from(table.dataSync().slice(49 * 24)));

    const cube = tf.tensor3d(Int32Array.from(seeded(6 * 4 * 5, 2), (v) => Math.round(v * 1000)), [6, 4, 5], 'int32');
    const c = both(() => tf.gather(cube, tf.tensor1d([5, 0, 2], 'int32')));
    expect(c.took).toBe(true);
    expect(c.shape).toEqual([3, 4, 5]);
    expect(c.rows).toEqual(c.elementwise);

    const none = both(() => tf.gather(table, tf.tensor1d([], 'int32')));
    expect(none.shape).toEqual([0, 24]);
    expect(none.rows).toEqual([]);
    tf.dispose([table, ids2d, cube]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('leaves other axes, short rows and indices out of range to tfjs’s kernel', async () => {
    await useBackend('wasm');
    const table = tf.tensor2d(seeded(10 * 24, 3), [10, 24]);
    const across = both(() => tf.gather(table, tf.tensor1d([2, 0], 'int32'), 1));
    expect(across.took).toBe(false);
    expect(across.shape).toEqual([10, 2]);
    expect(across.rows).toEqual(across.elementwise);
    const short = both(() => tf.gather(tf.tensor2d(seeded(10 * 3, 4), [10, 3]), tf.tensor1d([1], 'int32')));
    expect(short.took).toBe(false);
    expect(short.rows).toEqual(short.elementwise);
    expect(() => tf.gather(table, tf.tensor1d([4, 10], 'int32'))).toThrow(/index value 10 is not in \[0, 9\]/);
    expect(() => tf.gather(table, tf.tensor1d([-1], 'int32'))).toThrow(/index value -1 is not in \[0, 9\]/);
    table.dispose();
  });

  it('gives the embedding lookup the gradient tfjs’s kernel gives', async () => {
    await useBackend('wasm');
    const table = tf.variable(tf.tensor2d(seeded(30 * 16, 5), [30, 16]));
    const ids = tf.tensor2d([[1, 4, 4, 29], [0, 1, 2, 3]], [2, 4], 'int32');
    const weights = tf.tensor3d(seeded(2 * 4 * 16, 6), [2, 4, 16]);
    const grad = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(table, ids), weights)) as tf.Scalar, [table]);
      const out = Array.from(grads[table.name].dataSync());
      tf.dispose([value, grads[table.name]]);
      return out;
    };
    const before = rowGatherStats.gathers;
    const rows = grad();
    expect(rowGatherStats.gathers).toBeGreaterThan(before);
    setRowGather(false);
    const elementwise = grad();
    expect(rows).toEqual(elementwise);
    // Token 4 appears twice: its gradient row is the sum of the two positions' weights.
    const w = weights.dataSync();
    expect(rows.slice(4 * 16, 5 * 16)).toEqual(Array.from({ length: 16 }, (_, j) => Math.fround(w[16 + j] + w[32 + j])));
    tf.dispose([table, ids, weights]);
  });
});
