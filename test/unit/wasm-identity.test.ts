// Identity on tfjs-wasm shares its input's heap block (src/runtime/wasm-identity.ts): the clone reads the input's
// bytes where they lie, outlives the input, frees the block with the last tensor on it, and a gradient whose
// inputs tfjs saved by cloning gives the bits the copying kernel gives and leaks nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { setSharedIdentity } from '../../src/runtime/wasm-identity';
import { seeded } from '../helpers/seeded';

interface WasmHeap { dataIdMap: { get(id: object): { memoryOffset: number } | undefined; has(id: object): boolean } }
const heap = () => tf.backend() as unknown as WasmHeap;
const offset = (t: tf.Tensor) => heap().dataIdMap.get(t.dataId)?.memoryOffset;

describe('Identity on wasm', () => {
  afterEach(() => setSharedIdentity(true));

  it('shares the input’s block, which outlives the input and goes with the last tensor on it', async () => {
    await useBackend('wasm');
    const before = tf.memory();
    const x = tf.tensor2d(seeded(64 * 48, 1), [64, 48]);
    const y = tf.clone(x);
    expect(offset(y)).toBe(offset(x));
    expect(y.dataId).toBe(x.dataId);
    const values = x.dataSync().slice();
    x.dispose();
    expect(heap().dataIdMap.has(y.dataId)).toBe(true);
    expect(y.dataSync()).toEqual(values);
    const id = y.dataId;
    y.dispose();
    expect(heap().dataIdMap.has(id)).toBe(false);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  it('copies when switched off (the kernel it wraps)', async () => {
    await useBackend('wasm');
    setSharedIdentity(false);
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(offset(y)).not.toBe(offset(x));
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([x, y]);
  });

  it('gives a gradient the copying kernel’s bits, with the tensors tfjs saved by cloning, and leaks nothing', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d(seeded(96 * 40, 2), [96, 40]);
    const w = tf.variable(tf.tensor2d(seeded(40 * 24, 3), [40, 24]));
    // tf.customGrad saves what its save() is given through engine.clone, the Identity kernel.
    const tanh = tf.customGrad((h, save) => {
      (save as tf.GradSaveFunc)([h as tf.Tensor]);
      return { value: tf.tanh(h as tf.Tensor), gradFunc: (dy, [saved]) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(saved)))) };
    });
    const grad = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tanh(tf.matMul(x, w)) as tf.Tensor)) as tf.Scalar, [w]);
      return [value.dataSync()[0], ...grads[w.name].dataSync()];
    });
    setSharedIdentity(false);
    const copied = grad();
    setSharedIdentity(true);
    const start = tf.memory();
    const shared = grad();
    for (let i = 0; i < 3; i++) grad();
    expect(tf.memory().numTensors).toBe(start.numTensors);
    expect(tf.memory().numBytes).toBe(start.numBytes);
    expect(shared).toEqual(copied);
    tf.dispose([x, w]);
  });
});
