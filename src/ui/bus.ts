// A tiny typed event bus: panels announce changes, others redraw. No framework, no shared mutable views.
// Most events only say "this changed, read it again"; a few carry what changed, typed here.
import type { BackendChoice } from '../runtime/backend';
import type { StepId } from './url-settings';

/** Every event and what it carries (`undefined`: nothing, the listener reads the context). */
export interface AppEvents {
  dataset: undefined;
  model: undefined;
  runs: undefined;
  /** A job of the queue moved or logged an event (src/ui/page-jobs.ts): the queue view redraws. */
  jobs: undefined;
  'run-live': undefined;
  /** `ctx.backend` is set: the header and the Train step redraw. */
  backend: undefined;
  settings: undefined;
  /** A worker (re)started on a backend: whoever owns the context sets `ctx.backend` from it, then emits 'backend'. */
  'backend-ready': BackendChoice;
  /** The pretraining comparison's progress, for the step rail. */
  'compare-live': CompareProgress;
  /** The page moved to another step (the step now in view). */
  step: StepId;
}

export interface CompareProgress {
  busy: boolean;
  /** Share of both runs' steps done, 0..1. */
  done: number;
  /** Accuracy after training of the pretrained model and its random twin, once both finished. */
  result?: { pretrained: number; random: number };
  failed?: boolean;
}

export type AppEvent = keyof AppEvents;
type Payload<E extends AppEvent> = AppEvents[E] extends undefined ? [] : [AppEvents[E]];

export class Bus {
  private handlers = new Map<AppEvent, Set<(payload: never) => void>>();
  on<E extends AppEvent>(event: E, fn: (payload: AppEvents[E]) => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn as (payload: never) => void);
  }
  emit<E extends AppEvent>(event: E, ...payload: Payload<E>): void {
    this.handlers.get(event)?.forEach((fn) => (fn as (p: AppEvents[E] | undefined) => void)(payload[0]));
  }
}
