// One helper thread of the product pool (./pool.ts): it instantiates the module on tfjs's shared memory, says it is
// ready, then blocks on its slot of the control block and runs each part of a product it is handed there. It never
// returns to its event loop after that, so every later message is in the control block, not a postMessage.
import { batchMatMulOn, type Variant } from './module';
import { SLOT_WORDS, Word } from './pool-layout';

interface Start { memory: WebAssembly.Memory; variant: Variant; slot: number }

self.onmessage = (e: MessageEvent<Start>) => {
  const { memory, variant, slot } = e.data;
  const fn = batchMatMulOn(memory, variant);
  if (!fn) {
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
    const a = words.subarray(at + Word.Args, at + SLOT_WORDS);
    fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);
    Atomics.store(words, at + Word.Done, seen);
    Atomics.notify(words, at + Word.Done);
  }
};
