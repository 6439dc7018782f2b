// tabtune as a library: the hosted services' fine-tuning jobs API, running locally. This entry needs no DOM and
// no Node built-ins; Node's conveniences (a folder store, the in-process engine on wasm, file paths) are in
// src/node.ts. Everything is a named export, so a bundler keeps only what is used.
export { openTabtune, type OpenOptions, type Tabtune } from './jobs/client';
export { MemoryJobStore } from './jobs/memory-store';
export { inProcessEngine, type InProcessOptions } from './jobs/engine/in-process';
export { TabtuneError, type ErrorCode } from './jobs/errors';
export { LIMITS, fineTunedModelName } from './jobs/params';
// The demo's data, so an example can upload something without a file of its own.
export { generateEmails, toChatJsonl, EMAIL_LABELS, type GenerateOptions } from './data/synth';
export type { JobStore } from './jobs/store';
export { EngineDeviceLost, type JobEngine, type EngineRun, type EngineRunResult } from './jobs/engine';
export { isOutOfSpace } from './jobs/out-of-space';
export type { QueueLock } from './jobs/queue-lock';
export type { FilesApi, FileInput } from './jobs/files-api';
export type { JobsApi } from './jobs/jobs-api';
export type { ModelsApi, PredictParams } from './jobs/models-api';
export type * from './jobs/types';
