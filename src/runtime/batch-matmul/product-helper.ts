// One helper thread of the pool (./pool.ts): it instantiates the product module (and the fused module, on demand)
// on tfjs's shared memory, says it is ready, then blocks on its slot of the control block and runs each part it is
// handed there. It never returns to its event loop after that, so every later message is in the control block.
import { batchMatMulOn, type Variant } from './module';
import { fusedWasmOn, type FusedWasm } from '../fused-wasm/module';
import { ARITY, Kernel, VARIANTS, Word, type KernelId } from './pool-layout';
import { attentionBackwardPart, attentionForwardPart, type BackwardPart, type ForwardPart } from './attention-parts';

interface Start { memory: WebAssembly.Memory; variant: Variant; slot: number }

self.onmessage = (e: MessageEvent<Start>) => {
  const { memory, variant, slot } = e.data;
  if (!batchMatMulOn(memory, variant)) {
    self.postMessage({ ok: false, error: `this engine cannot run the ${variant} module on a shared memory` });
    return;
  }
  self.postMessage({ ok: true });
  const at = slot >> 2;
  let seen = 0;
  for (;;) {
    // A fresh view each time: the memory may have grown (a new, longer buffer) since the last part.
    let words = new Int32Array(memory.buffer);
    while (Atomics.load(words, at + Word.Seq) === seen) Atomics.wait(words, at + Word.Seq, seen);
    words = new Int32Array(memory.buffer);
    seen = Atomics.load(words, at + Word.Seq);
    if (seen < 0) {
      // The pool frees the control block once every helper has said it will read it no more.
      Atomics.store(words, at + Word.Done, seen);
      Atomics.notify(words, at + Word.Done);
      return;
    }
    const kernel = words[at + Word.Kernel] as KernelId;
    const { args: count, float } = ARITY[kernel];
    const args = Array.from(words.subarray(at + Word.Args, at + Word.Args + count));
    if (float >= 0) args[float] = new Float32Array(memory.buffer)[at + Word.Args + float];
    run(memory, VARIANTS[words[at + Word.Variant]], kernel, args);
    Atomics.store(words, at + Word.Done, seen);
    Atomics.notify(words, at + Word.Done);
  }
};

function run(memory: WebAssembly.Memory, variant: Variant, kernel: KernelId, a: number[]): void {
  if (kernel === Kernel.Product) {
    batchMatMulOn(memory, variant)!(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16]);
    return;
  }
  // The pool hands fused parts only where the calling thread ran the same build on the same memory.
  const f = fusedWasmOn(memory, variant) as FusedWasm;
  if (kernel === Kernel.AttentionForward) attentionForwardPart(batchMatMulOn(memory, variant)!, f, a as ForwardPart);
  else if (kernel === Kernel.AttentionBackward) attentionBackwardPart(batchMatMulOn(memory, variant)!, f, a as BackwardPart);
  else if (kernel === Kernel.BiasGelu) f.bias_gelu(a[0], a[1], a[2], a[3], a[4]);
  else if (kernel === Kernel.BiasGeluSlope) f.bias_gelu_slope(a[0], a[1], a[2], a[3], a[4], a[5]);
  else if (kernel === Kernel.LayerNorm) f.layer_norm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
  else if (kernel === Kernel.LayerNormDx) f.layer_norm_dx(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
  else if (kernel === Kernel.MaskedSoftmax) f.masked_softmax(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  else f.softmax_grad(a[0], a[1], a[2], a[3], a[4], a[5]);
}
