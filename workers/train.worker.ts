// The training worker is thin: it turns protocol messages into calls on src/train and posts results back.
// Heavy work lives here so the page never blocks.
import { tf, takeWebGpuErrors, useBackend, wasmThreading } from '../src/runtime/tf-browser';
import { chooseBackend, probeCapabilities, type BackendName } from '../src/runtime/backend';
import type { FromWorker, ToWorker } from '../src/protocol';
import { outOfMemoryMessage } from '../src/train/out-of-memory';
import { runTraining, DeviceLostError } from '../src/train/session';
import { predictText, countTokens, fillMaskText, sizeRun } from '../src/train/inference';
import { evaluateStoredRun } from '../src/train/evaluate';
import { importAdapterRun } from '../src/train/adapter-import';
import { ModelCache } from '../src/model/model-cache';

const post = (msg: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

let backend: BackendName = 'cpu';
let paused = false;
let cancelled = false;
let wakeUp: (() => void) | null = null;
let busy = false;
// One cache for the worker's lifetime: runs and predictions on the same base model swap adapters instead of
// downloading and uploading the model's weights again.
const models = new ModelCache((file, loaded, total) => post({ type: 'download', file, loaded, total }));

const control = {
  isCancelled: () => cancelled,
  whilePaused: () => (paused ? new Promise<void>((resolve) => (wakeUp = resolve)) : Promise.resolve()),
  // On WebGPU a lost device or a failed shader never throws (reads give zeros): the device's error events are the
  // only signal, so the loop asks before trusting a loss or saving a checkpoint.
  deviceProblem: () => {
    if (backend !== 'webgpu') return null;
    const errors = takeWebGpuErrors();
    return errors.length ? errors[0] : null;
  },
};

function setPaused(p: boolean) {
  paused = p;
  if (!p && wakeUp) {
    wakeUp();
    wakeUp = null;
  }
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'init': {
      try {
        if (msg.wasmThreads === false) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        const caps = await probeCapabilities();
        const choice = chooseBackend(caps, msg.backend ?? null);
        try {
          await useBackend(choice.backend);
          backend = choice.backend;
          const reason = backend === 'wasm' ? `${choice.reason} (${wasmThreading().note})` : choice.reason;
          post({ type: 'ready', choice: { ...choice, reason }, caps });
        } catch (e) {
          // A backend that fails to start (lost device, blocked wasm) falls back to plain JS rather than no training.
          await useBackend('cpu');
          backend = 'cpu';
          post({ type: 'ready', choice: { backend: 'cpu', reason: `CPU (JavaScript) — ${choice.backend} failed to start: ${errorText(e)}`, overridden: false }, caps });
        }
      } catch (e) {
        post({ type: 'error', message: `Could not start a compute backend: ${errorText(e)}` });
      }
      return;
    }
    case 'pause':
      setPaused(true);
      return;
    case 'resume':
      setPaused(false);
      return;
    case 'cancel':
      cancelled = true;
      setPaused(false);
      return;
    case 'train': {
      if (busy) {
        post({ type: 'error', runId: msg.runId, message: 'A run is already training in this tab.' });
        return;
      }
      busy = true;
      cancelled = false;
      setPaused(false);
      if (backend === 'webgpu') takeWebGpuErrors(); // only errors during this run count
      try {
        const result = await runTraining(msg, models, backend, {
          status: (phase, detail) => post({ type: 'status', runId: msg.runId, phase, detail }),
          baseline: (b) => post({ type: 'baseline', runId: msg.runId, ...b }),
          progress: (p) => post({ type: 'progress', ...p }),
          evaluated: (e) => post({ type: 'eval', ...e }),
          checkpoint: (c) => post({ type: 'checkpoint', runId: msg.runId, checkpoint: c }, [c.adapter, c.optimizer]),
        }, control);
        if (result === 'cancelled') post({ type: 'cancelled', runId: msg.runId, step: 0 });
        else post({ type: 'done', result });
      } catch (e) {
        // A lost device often shows up first as a failed read (mapAsync rejects); its `lost` event follows within
        // a task or two and says why, so give it a moment before deciding what kind of failure this was.
        if (backend === 'webgpu' && !(e instanceof DeviceLostError)) await new Promise((r) => setTimeout(r, 100));
        const problem = e instanceof DeviceLostError ? null : control.deviceProblem();
        const oom = problem ? null : outOfMemoryMessage(errorText(e), backend);
        const message = problem ? `The GPU stopped giving trustworthy results (${problem}). The run is kept up to its last checkpoint.` : (oom ?? errorText(e));
        post({ type: 'error', runId: msg.runId, message, deviceLost: e instanceof DeviceLostError || !!problem, workerBroken: !!oom });
      } finally {
        busy = false;
      }
      return;
    }
    case 'count-tokens': {
      try {
        const counts = await countTokens(msg, models);
        post({ type: 'token-counts', requestId: msg.requestId, counts }, [counts.buffer]);
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
    case 'size-run': {
      try {
        post({ type: 'run-sized', requestId: msg.requestId, size: await sizeRun(msg, models) });
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
    case 'fill-mask': {
      try {
        post({ type: 'mask-filled', requestId: msg.requestId, fills: await fillMaskText(msg, models) });
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
    case 'simulate-device-loss': {
      // For tests of the recovery path: the real event, from the real device.
      (tf.backend() as unknown as { device?: GPUDevice }).device?.destroy();
      return;
    }
    case 'import-adapter': {
      try {
        const { result, checkpoint, config } = await importAdapterRun(msg, models, backend);
        post({ type: 'adapter-imported', requestId: msg.requestId, result, checkpoint, config }, [checkpoint.adapter]);
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
    case 'evaluate-suites': {
      try {
        const suites = await evaluateStoredRun(msg, models);
        post({ type: 'suites-evaluated', requestId: msg.requestId, suites });
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
    case 'predict': {
      try {
        const probs = await predictText(msg, models);
        post({ type: 'prediction', requestId: msg.requestId, labels: msg.labels, probs });
      } catch (e) {
        post({ type: 'error', requestId: msg.requestId, message: errorText(e) });
      }
      return;
    }
  }
};

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
