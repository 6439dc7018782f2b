// The guided page: a step rail (a nav of buttons, the step in view marked aria-current) and one step in view at a
// time. Steps are hidden, never torn down, so a run, a half-filled form or a chart carries on while another step is
// in view. Which step is in view lives in the URL (the page's owner writes it; see src/ui/app.ts).
import { h, replace } from './dom';
import { refreshCharts } from './charts';
import type { StepId } from './url-settings';

export interface FlowStep {
  id: StepId;
  title: string;
  /** The step's number on the rail; the steps off the main path (the pretraining comparison) have none. */
  num?: number;
  section: HTMLElement;
}

/** How a step came into view: the rail or Next/Back (a new history entry), an arrow key on the rail (focus stays
 * on the rail), or the back/forward buttons and the first open (no new entry). */
export type StepCause = 'click' | 'key' | 'history' | 'open';

export class StepFlow {
  readonly rail: HTMLElement;
  current: StepId;
  private readonly buttons = new Map<StepId, HTMLButtonElement>();
  private readonly states = new Map<StepId, HTMLElement>();
  private readonly list: HTMLOListElement;

  constructor(
    private readonly steps: FlowStep[],
    initial: StepId,
    /** Called after every change of step, with its cause (the owner writes the URL and announces it). */
    private readonly onChange: (step: StepId, cause: StepCause) => void,
  ) {
    this.current = initial;
    this.list = h('ol');
    steps.forEach((step, i) => {
      const state = h('span', { class: 'state' });
      const button = h(
        'button',
        { class: step.num ? '' : 'extra', attrs: { type: 'button', 'data-step': step.id, 'aria-controls': step.section.id }, on: { click: () => this.go(step.id, 'click') } },
        h('span', { class: 'num', attrs: { 'aria-hidden': 'true' } }, step.num ? String(step.num) : '★'),
        h('span', { class: 'name' }, step.title),
        // Read as "Train: running 42 %"; the colon is for screen readers, the layout shows the state below.
        h('span', { class: 'sr-only' }, ': '),
        state,
      );
      button.addEventListener('keydown', (e) => this.onKey(e, i));
      this.buttons.set(step.id, button);
      this.states.set(step.id, state);
      this.list.append(h('li', null, button));
      this.decorate(step, i);
    });
    this.rail = h('nav', { class: 'rail', attrs: { 'aria-label': 'Steps' } }, this.list);
    this.show(initial);
  }

  /** The text under a step's name on the rail. */
  setState(id: StepId, text: string): void {
    const el = this.states.get(id);
    if (el && el.textContent !== text) replace(el, text);
  }

  /** Brings a step into view. Focus goes to its heading (or stays on the rail for an arrow key). */
  go(id: StepId, cause: StepCause): void {
    if (id === this.current && cause !== 'history') {
      if (cause === 'click') this.focusHeading(id);
      return;
    }
    this.show(id);
    if (cause === 'key') this.buttons.get(id)!.focus();
    else if (cause !== 'open') this.focusHeading(id);
    this.onChange(id, cause);
  }

  private show(id: StepId): void {
    this.current = id;
    for (const step of this.steps) {
      const active = step.id === id;
      step.section.hidden = !active;
      const button = this.buttons.get(step.id)!;
      if (active) button.setAttribute('aria-current', 'step');
      else button.removeAttribute('aria-current');
    }
    const step = this.steps.find((s) => s.id === id)!;
    // A chart that was drawn (or created) while its step was hidden has a 0 × 0 canvas: size it now.
    refreshCharts(step.section);
    // On a narrow screen the rail scrolls sideways: keep the current step in its view.
    const button = this.buttons.get(id)!;
    const li = button.parentElement!;
    if (this.list.scrollWidth > this.list.clientWidth) {
      const left = li.offsetLeft - this.list.offsetLeft;
      if (left < this.list.scrollLeft || left + li.offsetWidth > this.list.scrollLeft + this.list.clientWidth) this.list.scrollLeft = Math.max(0, left - 16);
    }
  }

  private focusHeading(id: StepId): void {
    const heading = this.steps.find((s) => s.id === id)!.section.querySelector<HTMLElement>('h2');
    if (!heading) return;
    // Like a new page: the step starts at the top, under the header and (on a narrow screen) the rail.
    window.scrollTo({ top: 0 });
    heading.focus({ preventScroll: true });
  }

  private onKey(e: KeyboardEvent, i: number): void {
    const last = this.steps.length - 1;
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowDown' ? Math.min(last, i + 1)
      : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? Math.max(0, i - 1)
      : e.key === 'Home' ? 0
      : e.key === 'End' ? last
      : -1;
    if (to < 0) return;
    e.preventDefault();
    this.go(this.steps[to].id, 'key');
  }

  /** The step's heading takes focus on a change; Back and Next close the step. */
  private decorate(step: FlowStep, i: number): void {
    const heading = step.section.querySelector<HTMLElement>('h2');
    heading?.setAttribute('tabindex', '-1');
    const prev = this.steps[i - 1];
    const next = this.steps[i + 1];
    step.section.append(
      h(
        'div',
        { class: 'step-nav' },
        prev
          ? h('button', { class: 'secondary step-back', attrs: { type: 'button' }, on: { click: () => this.go(prev.id, 'click') } }, h('span', { attrs: { 'aria-hidden': 'true' } }, '← '), `Back: ${prev.title}`)
          : h('span'),
        next ? h('button', { class: 'step-next', attrs: { type: 'button' }, on: { click: () => this.go(next.id, 'click') } }, `Next: ${next.title}`, h('span', { attrs: { 'aria-hidden': 'true' } }, ' →')) : null,
      ),
    );
  }
}
