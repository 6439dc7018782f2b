// The page's start-up fallback: a worker whose threaded wasm build never answers is replaced by one on one thread.
import { describe, expect, it } from 'vitest';
import { WorkerClient } from '../../src/ui/worker-client';
import type { ToWorker } from '../../src/protocol';

/** Stands in for the training worker: answers `init` with `ready` unless told to stay silent. */
class FakeWorker {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  received: ToWorker[] = [];
  terminated = false;
  constructor(private readonly answersInit: (msg: ToWorker) => boolean) {}
  postMessage(msg: ToWorker) {
    this.received.push(msg);
    if (msg.type === 'init' && this.answersInit(msg)) {
      const choice = { backend: 'wasm', reason: 'CPU (wasm) — chosen by you (one thread)', overridden: true };
      setTimeout(() => this.onmessage?.({ data: { type: 'ready', choice, caps: { webgpu: null, wasm: true, webgl: false } } } as MessageEvent), 1);
    }
  }
  terminate() {
    this.terminated = true;
  }
}

function clientWith(answersInit: (msg: ToWorker) => boolean, timeoutMs: number) {
  const made: FakeWorker[] = [];
  const client = new WorkerClient(() => {
    const w = new FakeWorker(answersInit);
    made.push(w);
    return w as unknown as Worker;
  }, timeoutMs);
  return { client, made };
}

describe('WorkerClient start-up', () => {
  it('asks for the threaded build first and keeps the worker that answers', async () => {
    const { client, made } = clientWith(() => true, 1000);
    const ready = await client.init('wasm');
    expect(made).toHaveLength(1);
    expect(made[0].received).toEqual([{ type: 'init', backend: 'wasm', wasmThreads: true }]);
    expect(ready.choice.reason).toBe('CPU (wasm) — chosen by you (one thread)');
  });

  it('replaces a worker that does not start in time by one on a single thread, and says why', async () => {
    const { client, made } = clientWith((msg) => msg.type === 'init' && msg.wasmThreads === false, 50);
    const ready = await client.init(null);
    expect(made).toHaveLength(2);
    expect(made[0].terminated).toBe(true);
    expect(made[1].received).toEqual([{ type: 'init', backend: null, wasmThreads: false }]);
    expect(ready.choice.reason).toBe('CPU (wasm) — chosen by you (one thread) — the multi-threaded build did not start within 0 s');
    // A later restart (after a lost GPU device) does not try threads again.
    await client.restart('wasm');
    expect(made).toHaveLength(3);
    expect(made[2].received).toEqual([{ type: 'init', backend: 'wasm', wasmThreads: false }]);
  });
});
