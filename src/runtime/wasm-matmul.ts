// tfjs-backend-wasm 4.22 multiplies a transposed operand ~10–25× slower than a plain one (measured in Node:
// [512,1536]·[384,1536]ᵀ 269 ms against 22 ms once the transpose is materialised; xᵀ·dy 573 ms against 21 ms).
// Every backward pass through a linear layer is such a product (dx = dy·Wᵀ, dW = xᵀ·dy), so a LoRA step spent
// most of its time there (bench/RESULTS.md). The wasm BatchMatMul kernel is wrapped to transpose explicitly
// first — a memory-bound copy — and multiply plain. Same products, same sums in a different order.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { wrapKernel } from './wrap-kernel';

type Info = tf.TensorInfo;

export function untransposeWasmMatMul(): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  wrapKernel('BatchMatMul', 'wasm', 'untransposed', (kernelFunc) => (args) => {
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return kernelFunc(args);
    const inputs = args.inputs as unknown as { a: Info; b: Info };
    const backend = args.backend as unknown as { disposeData(id: object): void };
    const made: Info[] = [];
    const swapLast = (x: Info): Info => {
      const perm = x.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      const t = transpose.kernelFunc({ inputs: { x } as unknown as tf.NamedTensorInfoMap, backend: args.backend, attrs: { perm } as unknown as tf.NamedAttrMap }) as Info;
      made.push(t);
      return t;
    };
    const a = attrs.transposeA ? swapLast(inputs.a) : inputs.a;
    const b = attrs.transposeB ? swapLast(inputs.b) : inputs.b;
    try {
      return kernelFunc({ ...args, inputs: { a, b } as unknown as tf.NamedTensorInfoMap, attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap });
    } finally {
      made.forEach((t) => backend.disposeData(t.dataId));
    }
  });
}
