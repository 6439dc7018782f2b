// tfjs-wasm reports running out of its heap as an Emscripten abort, not as an error a person can act on, and
// the module is unusable afterwards. This turns those messages into what happened and what helps.
const WASM_HEAP_FAILURE = /Aborted\(\)|memory access out of bounds|Cannot enlarge memory|Out of memory/i;

/** The plain-language message for a run that ran out of memory, or null when `message` is something else. */
export function outOfMemoryMessage(message: string, backend: string): string | null {
  if (!WASM_HEAP_FAILURE.test(message)) return null;
  const where = backend === 'wasm' ? 'the WebAssembly heap (at most a few GB, whatever the machine has)' : `the ${backend} backend's memory`;
  return `The run needed more memory than ${where} allows (${message.split('.')[0]}). Try a smaller batch, fewer max tokens, or LoRA or head-only instead of full fine-tuning; full fine-tuning of large models needs a GPU. The training worker was restarted.`;
}
