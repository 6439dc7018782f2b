// The built-in email generator: seeded, deterministic synthetic emails for invoice / order / support / spam.
// Data tables live in ./synth/ (one file per class, plus vocabulary, slots, framing and noise); ./synth/compose.ts
// puts them together. The aim is variety a model cannot memorise: ~20 kinds of mail per class in several
// registers, subject lines, quoted replies and forwards, signatures and disclaimers, names from many regions,
// money and dates in many national formats, writing noise, lengths from a few words to a few paragraphs, and a
// share of deliberately ambiguous mails.
//
// Labelling rule (the same as the hand-written evaluation set's): label the OUTERMOST message, the newest text
// written by the sender; quoted and forwarded text is context only, except that a forward with no comment or only
// an "FYI" takes the forwarded content's label. The label is the sender's main purpose; the first step that
// matches decides:
//   1. spam     – unsolicited or fraudulent: bulk promotion and cold pitches (even from a shop the reader used),
//                 scams, and anything imitating an invoice, delivery, order, refund or account alert that pushes an
//                 odd link, credentials, a small fee, a call to "cancel", changed bank details or gift cards.
//                 Not a legitimate transactional mail, nor someone forwarding a suspicious mail to ask if it's safe.
//   2. support  – a customer, user, employee, tenant, guest or relative reports a problem (broken, wrong, missing,
//                 late, blocked, charged unexpectedly) or asks how to do something, and wants it fixed or explained.
//                 Being owed money is not such a problem (a supplier chasing payment is step 4).
//   3. order    – the status of a purchase of goods or of a booking (placed … delivered, ready to collect,
//                 cancelled by the seller, replacement sent, returns and refunds for returned goods, the seller's
//                 own delay notice), or a problem-free request about a purchase (PO, change before dispatch, ETA).
//   4. invoice  – payment for something already agreed: bills, statements, receipts, reminders, failed renewal
//                 payments, price notices, payment plans, credit notes and refunds correcting a charge, payouts and
//                 remittances, "I've paid", expense claims, neutral billing admin.
//   5. support  – everything else that is help or service communication: help-desk replies, ticket updates,
//                 outage notices, legitimate account and security mail, a survey about a specific case.
import type { Example } from '../domain';
import { composeEmails } from './synth/compose';

export const EMAIL_LABELS = ['invoice', 'order', 'support', 'spam'] as const;
export const EMAIL_INSTRUCTION = 'You are an email classifier.';

export interface GenerateOptions {
  count: number;
  seed: number;
  /** Share of ambiguous emails (default 0.05). */
  ambiguity?: number;
}

export function generateEmails({ count, seed, ambiguity = 0.05 }: GenerateOptions): Example[] {
  if (!Number.isInteger(count) || count < 1 || count > 50_000) throw new Error(`count must be an integer from 1 to 50,000 (got ${count}).`);
  return composeEmails({ count, seed, ambiguity }).map(({ text, label }) => ({ text, label }));
}

/** Chat JSONL as hosted fine-tuning services use it: system instruction, user text, assistant label. */
export function toChatJsonl(examples: Example[], instruction = EMAIL_INSTRUCTION): string {
  return (
    examples
      .map((e) =>
        JSON.stringify({
          messages: [
            { role: 'system', content: instruction },
            { role: 'user', content: e.text },
            { role: 'assistant', content: e.label },
          ],
        }),
      )
      .join('\n') + '\n'
  );
}
