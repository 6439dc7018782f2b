// A tiny typed event bus: panels announce changes, others redraw. No framework, no shared mutable views.
export type AppEvent = 'dataset' | 'model' | 'runs' | 'run-live' | 'backend' | 'settings';

export class Bus {
  private handlers = new Map<AppEvent, Set<() => void>>();
  on(event: AppEvent, fn: () => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn);
  }
  emit(event: AppEvent): void {
    this.handlers.get(event)?.forEach((fn) => fn());
  }
}
