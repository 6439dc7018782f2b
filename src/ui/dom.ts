// The page's only way to make DOM: elements with properties and text children. Strings always become text
// nodes, so a user's data can never turn into markup.
type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  /** Attributes set with setAttribute (aria-*, role, for, type, …). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
  style?: Partial<CSSStyleDeclaration>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.id) el.id = props.id;
    if (props.title) el.title = props.title;
    for (const [k, v] of Object.entries(props.attrs ?? {})) {
      if (v === undefined || v === false) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const [k, fn] of Object.entries(props.on ?? {})) el.addEventListener(k, fn as EventListener);
    if (props.style) Object.assign(el.style, props.style);
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children (text-safe). */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A labelled form field: the label names the control for screen readers and tests (getByLabel). */
export function field(labelText: string, control: HTMLElement, help?: string): HTMLElement {
  const id = control.id || `f-${labelText.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  control.id = id;
  if (help) control.title = help;
  return h('div', { class: 'field' }, h('label', { attrs: { for: id } }, labelText), control, help ? h('small', { class: 'help' }, help) : null);
}

export function fmtPct(x: number | undefined, digits = 1): string {
  return x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(digits)} %`;
}

export function fmtNum(x: number): string {
  return x.toLocaleString('en-US');
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}
