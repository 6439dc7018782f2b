// The composer: turns a scenario into a whole email (subject line, greeting, small talk, body, line items,
// sign-off, signature, disclaimer, quoted reply or forward, writing noise), and records how it was built so the
// tests can measure the variety instead of trusting it.
import { createRng, type Rng } from '../../util/rng';
import type { Label, Scenario, Voice } from './types';
import { createSlots, expand, fill, pick, type Slots } from './slots';
import { INVOICE } from './invoice';
import { ORDER } from './order';
import { SUPPORT } from './support';
import { SPAM } from './spam';
import { AMBIGUOUS } from './ambiguous';
import {
  GREETINGS, ASIDES, CHATTY_OPENERS, CHATTY_CLOSERS, SIGNOFFS, SIGNATURE_LINES, DISCLAIMERS, MOBILE_SIGNOFFS, QUOTE_HEADERS, FORWARD_HEADERS,
  FYI_NOTES, FORWARD_NOTES,
} from './frame';
import { applyNoise, pickNoise, type NoiseKind } from './noise';

export const LABELS: readonly Label[] = ['invoice', 'order', 'support', 'spam'];
export const SCENARIOS: Record<Label, Scenario[]> = { invoice: INVOICE, order: ORDER, support: SUPPORT, spam: SPAM };
export { AMBIGUOUS };
const BY_ID = new Map([...INVOICE, ...ORDER, ...SUPPORT, ...SPAM, ...AMBIGUOUS].map((s) => [s.id, s]));
/** A scenario by id; throws on a typo in a replyTo or wraps list. */
export function scenarioById(id: string): Scenario {
  const s = BY_ID.get(id);
  if (!s) throw new Error(`synth: unknown scenario ${id}`);
  return s;
}

export type Length = 'short' | 'brief' | 'normal' | 'long';

/** One generated email and how it was built. */
export interface EmailRecord {
  text: string;
  label: Label;
  /** The scenario that decides the label (the outer message's, or the forwarded one's for a bare FYI forward). */
  scenario: string;
  /** Scenario plus which opening or one-liner: the body pattern. */
  pattern: string;
  ambiguous: boolean;
  length: Length;
  subject: boolean;
  /** Label of a quoted earlier message, or of a forwarded one, if any. */
  quoted?: Label;
  forwarded?: Label;
  items: boolean;
  noise: NoiseKind[];
}

const ANGRY = new Set(['invoice/angry-chase', 'invoice/final-notice', 'support/late-parcel', 'support/damaged-wrong', 'support/disputed-charge', 'ambiguous/angry-unpaid', 'ambiguous/complaint-order']);

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  let r = rng.next() * items.reduce((s, [, w]) => s + w, 0);
  for (const [x, w] of items) if ((r -= w) < 0) return x;
  return items[items.length - 1][0];
}

const render = (rng: Rng, slots: Slots, template: string) => fill(expand(rng, template), slots.get);

/** A list of line items whose total adds up, in one of several layouts. */
function lineItems(rng: Rng, slots: Slots, kind: 'goods' | 'services'): string {
  const names = kind === 'goods' ? slots.goods(1 + rng.int(4)) : slots.services(1 + rng.int(3));
  if (kind === 'services' && rng.next() < 0.5) names.push(pick(rng, ['Call-out fee', 'Materials', 'Travel', 'Setup fee', 'Additional hours']));
  const rows = names.map((name) => {
    const qty = kind === 'goods' ? pick(rng, [1, 1, 2, 3, 4, 10]) : pick(rng, [1, 1, 1, 2, 8, 12]);
    const unit = slots.price(kind === 'goods' ? 4 : 30, kind === 'goods' ? 900 : 2500);
    return { name, qty, unit, line: unit * qty };
  });
  const sum = rows.reduce((s, r) => s + r.line, 0);
  const layout = rng.int(4);
  const body = rows.map((r) =>
    layout === 0 ? `- ${r.qty} x ${r.name} – ${slots.money(r.line)}`
      : layout === 1 ? `${r.name} (x${r.qty}) .... ${slots.money(r.line)}`
        : layout === 2 ? `${r.name} | qty ${r.qty} | ${slots.money(r.unit)} | ${slots.money(r.line)}`
          : `* ${r.name}, ${r.qty} @ ${slots.money(r.unit)}`,
  );
  const head = pick(rng, ['Items:', 'Summary:', 'Details:', 'Description / Qty / Amount', 'Your items', 'Line items:', '']);
  const tail: string[] = [];
  if (kind === 'goods' && rng.next() < 0.6) tail.push(`${pick(rng, ['Shipping', 'Delivery', 'P&P'])}: ${rng.next() < 0.4 ? 'free' : slots.money(slots.price(3, 25))}`);
  if (rng.next() < 0.5) tail.push(`${pick(rng, ['VAT (20%)', 'Tax', 'MwSt. 19%', 'GST', 'incl. VAT'])}: ${slots.money(sum * 0.2)}`);
  tail.push(`${pick(rng, ['Total', 'TOTAL', 'Amount due', 'Grand total', 'Total paid', 'Order total', 'Balance'])}: ${slots.money(sum * (tail.length ? 1.2 : 1))}`);
  return [head, ...body, ...tail].filter(Boolean).join('\n');
}

/** The body sentences of one message of a scenario, as paragraphs. */
function body(rng: Rng, sc: Scenario, slots: Slots, length: Length): { paragraphs: string[]; pattern: string; items: boolean } {
  if (length === 'short' && sc.shorts?.length && rng.next() < 0.75) {
    const i = rng.int(sc.shorts.length);
    return { paragraphs: [render(rng, slots, sc.shorts[i])], pattern: `${sc.id}#short${i}`, items: false };
  }
  const i = rng.int(sc.opens.length);
  const open = render(rng, slots, sc.opens[i]);
  const nDetails = { short: 0, brief: rng.int(2), normal: 1 + rng.int(2), long: 3 + rng.int(3) }[length];
  const details = rng.shuffle([...(sc.details ?? [])]).slice(0, nDetails).map((d) => render(rng, slots, d));
  const askP = { short: 0.2, brief: 0.5, normal: 0.75, long: 0.9 }[length];
  const ask = sc.asks?.length && (sc.askAlways || rng.next() < askP) ? render(rng, slots, pick(rng, sc.asks)) : '';
  const items = !!sc.items && (length === 'normal' || length === 'long') && rng.next() < 0.6;
  const paragraphs: string[] = [];
  // Long mails break into paragraphs; short ones run on.
  if (length === 'long' || (length === 'normal' && rng.next() < 0.5)) {
    paragraphs.push(open);
    if (items) paragraphs.push(lineItems(rng, slots, sc.items!));
    const cut = Math.ceil(details.length / 2);
    if (details.length) paragraphs.push(details.slice(0, cut).join(' '));
    if (details.length > cut) paragraphs.push(details.slice(cut).join(' '));
    if (ask) paragraphs.push(ask);
  } else {
    paragraphs.push([open, ...details, ask].filter(Boolean).join(' '));
    if (items) paragraphs.push(lineItems(rng, slots, sc.items!));
  }
  return { paragraphs, pattern: `${sc.id}#open${i}`, items };
}

/** The sender's own message: subject, greeting, small talk, body, sign-off, signature. */
function message(rng: Rng, sc: Scenario, slots: Slots, length: Length, opts: { subjectPrefix?: string; inner?: boolean } = {}) {
  const voice: Voice = sc.voice;
  // A shop's mail is signed by the shop, not by an energy company.
  if (sc.label === 'order' && voice !== 'person') slots.get('shop');
  const b = body(rng, sc, slots, length);
  const subject = render(rng, slots, pick(rng, sc.subjects));
  const parts: string[] = [];
  const short = length === 'short';
  if (!opts.inner && rng.next() < (short ? 0.2 : 0.4)) {
    const s = (opts.subjectPrefix ?? '') + subject;
    parts.push(rng.next() < 0.3 ? `Subject: ${s}` : s);
  }
  const hasSubject = parts.length > 0;
  const greet = rng.next() < (opts.inner ? 0.5 : short ? 0.35 : 0.8) ? render(rng, slots, pick(rng, GREETINGS[voice])) : '';
  const chatty = (voice === 'person' || voice === 'company') && !short && rng.next() < (voice === 'person' ? 0.3 : 0.12) ? render(rng, slots, pick(rng, CHATTY_OPENERS)) : '';
  const paras = [...b.paragraphs];
  if (chatty) paras[0] = rng.next() < 0.5 ? `${chatty} ${paras[0]}` : `${chatty}\n\n${paras[0]}`;
  if (voice === 'person' || voice === 'company') {
    const asides = length === 'long' ? 1 + rng.int(2) : length === 'normal' && rng.next() < 0.15 ? 1 : 0;
    for (let k = 0; k < asides; k++) paras.splice(1 + rng.int(paras.length), 0, render(rng, slots, pick(rng, ASIDES[voice])));
    if (!short && rng.next() < 0.2) paras.push(render(rng, slots, pick(rng, CHATTY_CLOSERS[voice])));
  }
  if (greet) {
    // A greeting on its own line, or run into the first sentence as people type on phones.
    const sep = pick(rng, ['\n\n', '\n\n', '\n', ' ']);
    paras[0] = `${greet}${sep}${paras[0]}`;
  }
  parts.push(paras.join(pick(rng, ['\n\n', '\n\n', '\n'])));
  // A bare one-liner with no number in it ("pls delete my account.") would repeat across a dataset; real ones
  // come with the sender's name under them.
  const bare = short && !greet && !/\d/.test(b.paragraphs[0]);
  if (bare || rng.next() < (short ? 0.35 : voice === 'scammer' ? 0.6 : 0.85)) {
    let sign = render(rng, slots, pick(rng, SIGNOFFS[opts.inner ? 'person' : voice]));
    if (!opts.inner && (voice === 'person' || voice === 'company') && (length === 'normal' || length === 'long') && rng.next() < 0.35) sign += '\n' + render(rng, slots, pick(rng, SIGNATURE_LINES[voice]));
    if (sign) parts.push(sign);
  }
  return { text: parts.join('\n\n'), subject, hasSubject, pattern: b.pattern, items: b.items };
}

function chooseLength(rng: Rng): Length {
  return weighted(rng, [['short', 0.16], ['brief', 0.29], ['normal', 0.35], ['long', 0.2]] as const);
}

const SWAP: Record<string, string> = { first: 'sfirst', last: 'slast', name: 'sname', toemail: 'email', sfirst: 'first', slast: 'last', sname: 'name', email: 'toemail' };

/** The same thread seen from the other side: the earlier message was written by this one's recipient. */
function swapped(slots: Slots): Slots {
  return { ...slots, get: (k) => slots.get(SWAP[k] ?? k) };
}

/** An earlier message, indented with "> " or under an Outlook-style header, for replies and follow-ups. */
function quoteBlock(rng: Rng, sc: Scenario, slots: Slots, outerSubject: string, ownEarlier: boolean): string {
  const earlier = ownEarlier ? slots : swapped(slots);
  const inner = message(rng, sc, earlier, pick(rng, ['brief', 'brief', 'normal'] as const), { inner: true });
  const hi = rng.int(QUOTE_HEADERS.length);
  const header = fill(QUOTE_HEADERS[hi], (k) => (k === 'subject' ? outerSubject : earlier.get(k)));
  const outlook = hi >= 2 && hi <= 4;
  return `${header}\n${outlook ? '\n' + inner.text : inner.text.split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n')}`;
}

function forwardBlock(rng: Rng, sc: Scenario, fwdSlots: Slots): { text: string; subject: string } {
  const inner = message(rng, sc, fwdSlots, pick(rng, ['brief', 'normal', 'normal'] as const), { inner: true });
  const header = fill(pick(rng, FORWARD_HEADERS), (k) => (k === 'subject' ? inner.subject : fwdSlots.get(k)));
  return { text: `${header}\n\n${inner.text}`, subject: inner.subject };
}

export interface ComposeOptions {
  count: number;
  seed: number;
  ambiguity: number;
}

export function composeEmails({ count, seed, ambiguity }: ComposeOptions): EmailRecord[] {
  const rng = createRng(seed);
  const out: EmailRecord[] = [];
  for (let n = 0; n < count; n++) {
    // Round-robin labels keep the classes balanced to within one example.
    const label = LABELS[n % LABELS.length];
    out.push(composeOne(rng, label, rng.next() < ambiguity));
  }
  return rng.shuffle(out);
}

type Wrap = { kind: 'forward' | 'quote'; from: Scenario; own?: boolean };

function composeOne(rng: Rng, label: Label, ambiguous: boolean): EmailRecord {
  const slots = createSlots(rng);
  const length = chooseLength(rng);
  if (ambiguous) {
    const sc = pick(rng, AMBIGUOUS.filter((a) => a.label === label));
    const wrap = sc.wraps && { kind: sc.wraps.kind, from: scenarioById(pick(rng, sc.wraps.from)) };
    return composeFrom(rng, sc, slots, length, true, wrap);
  }
  const sc = pick(rng, SCENARIOS[label]);
  // A bare or FYI forward takes the forwarded content's label (the rule's one exception to "outermost").
  if (rng.next() < 0.05) return fyiForward(rng, sc, length);
  let wrap: Wrap | undefined;
  if (sc.replyTo && rng.next() < 0.3) wrap = { kind: 'quote', from: scenarioById(pick(rng, sc.replyTo)) };
  else if (sc.followsUp && rng.next() < 0.3) wrap = { kind: 'quote', from: scenarioById(pick(rng, sc.followsUp)), own: true };
  // Otherwise, now and then, a follow-up to one's own earlier mail of the same kind ("Re: Payment reminder").
  else if ((sc.voice === 'person' || sc.voice === 'company') && rng.next() < 0.06) wrap = { kind: 'quote', from: sc, own: true };
  return composeFrom(rng, sc, slots, length, false, wrap);
}

function composeFrom(rng: Rng, sc: Scenario, slots: Slots, length: Length, ambiguous: boolean, wrap?: Wrap): EmailRecord {
  const noise = pickNoise(rng, ANGRY.has(sc.id) || (sc.voice === 'scammer' && rng.next() < 0.5));
  const fwd = wrap?.kind === 'forward' ? forwardBlock(rng, wrap.from, createSlots(rng)) : undefined;
  const prefix = wrap?.kind === 'quote' ? pick(rng, ['Re: ', 'RE: ', 'Re: ', 'AW: ', 'R: ']) : wrap?.kind === 'forward' ? pick(rng, ['Fwd: ', 'FW: ', 'Fw: ', 'WG: ', 'TR: ']) : '';
  const m = message(rng, sc, slots, wrap ? pick(rng, ['short', 'brief', 'brief', 'normal'] as const) : length, { subjectPrefix: prefix });
  let text = applyNoise(rng, m.text, noise);
  if (sc.voice === 'person' && rng.next() < 0.1) text += '\n\n' + pick(rng, MOBILE_SIGNOFFS);
  if ((sc.voice === 'company' || sc.voice === 'person') && rng.next() < (length === 'long' ? 0.3 : 0.06)) text += '\n\n' + render(rng, slots, pick(rng, DISCLAIMERS[sc.voice]));
  if (wrap?.kind === 'quote') text += '\n\n' + quoteBlock(rng, wrap.from, slots, m.subject, !!wrap.own);
  else if (fwd) text += '\n\n' + fwd.text;
  return {
    text: text.trim(), label: sc.label, scenario: sc.id, pattern: m.pattern, ambiguous, length, subject: m.hasSubject,
    quoted: wrap?.kind === 'quote' ? wrap.from.label : undefined, forwarded: wrap?.kind === 'forward' ? wrap.from.label : undefined, items: m.items, noise,
  };
}

function fyiForward(rng: Rng, sc: Scenario, length: Length): EmailRecord {
  const fwd = forwardBlock(rng, sc, createSlots(rng));
  const slots = createSlots(rng);
  const notes = sc.label === 'spam' ? FYI_NOTES : [...FYI_NOTES, ...FORWARD_NOTES[sc.label]];
  let note = render(rng, slots, pick(rng, notes));
  if (note && rng.next() < 0.5) note += `\n\n${render(rng, slots, pick(rng, SIGNOFFS.person))}`;
  const subject = rng.next() < 0.3 ? `${pick(rng, ['Fwd: ', 'FW: ', 'Fw: '])}${fwd.subject}\n\n` : '';
  return {
    text: `${subject}${note ? note + '\n\n' : ''}${fwd.text}`.trim(), label: sc.label, scenario: sc.id, pattern: `${sc.id}#forward`, ambiguous: false,
    length, subject: !!subject, forwarded: sc.label, items: false, noise: [],
  };
}
