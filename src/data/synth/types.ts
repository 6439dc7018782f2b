// The shape of the generator's data tables. Templates use `{slot}` (see slots.ts) and `[a|b]` alternatives.

export type Label = 'invoice' | 'order' | 'support' | 'spam';

/** Who writes: decides greetings, sign-offs and signatures (a system notice has no "Cheers, Tom"). */
export type Voice = 'company' | 'system' | 'person' | 'scammer';

/**
 * One kind of email (a "scenario"): a purpose, several ways to open with it, optional supporting sentences and
 * a call to action. The composer picks one opening, some details and maybe an ask, so a scenario with 6 openings,
 * 6 details and 4 asks yields hundreds of bodies before slots and alternatives multiply them further.
 */
export interface Scenario {
  id: string;
  label: Label;
  voice: Voice;
  /** Subject lines (shown as a first line in some mails). */
  subjects: string[];
  /** First sentence: states the purpose that decides the label. */
  opens: string[];
  /** Supporting sentences; 0 to 4 are used. */
  details?: string[];
  /** Calls to action / closing requests. */
  asks?: string[];
  /** The ask is the point of the mail (a phishing link, a number to call): never left out. */
  askAlways?: boolean;
  /** Complete terse mails (one-liners, chat-style). */
  shorts?: string[];
  /** May carry a list of line items: goods (orders) or services (bills). */
  items?: 'goods' | 'services';
  /** Scenarios (ids) of an earlier message this one plausibly answers; one is then quoted below it. */
  replyTo?: string[];
  /** Scenarios (ids) of the sender's own earlier message that this one follows up (a reminder under the bill). */
  followsUp?: string[];
  /** Ambiguous scenarios only: the step of the labelling rule that decides, for readers and tests. */
  why?: string;
  /** Always carries an earlier message (scenario ids): quoted below, or forwarded below the sender's note. */
  wraps?: { kind: 'forward' | 'quote'; from: string[] };
}
