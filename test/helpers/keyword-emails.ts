// A learnable toy task for the random-weight test models: the project's first email generator (12 templates a
// class, each class with its own keywords), frozen here. tiny-bert's and tiny-distilbert's vocabularies are built
// from it (scripts/make_tiny_models.ts), so their tokens cover it, and a few epochs of LoRA on a random model learn
// it, which is what the tests of the training machinery need. The product's generator (src/data/synth.ts) is
// deliberately harder and more varied; it is not for these tests.
import type { Example } from '../../src/domain';
import { createRng, type Rng } from '../../src/util/rng';

const EMAIL_LABELS = ['invoice', 'order', 'support', 'spam'] as const;

const FIRST = ['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'James', 'Kenji', 'Laura', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quentin', 'Rosa', 'Sam', 'Tara', 'Umar', 'Vera', 'Will', 'Yara', 'Zoe', 'Liam', 'Maya', 'Noah', 'Olga', 'Pablo'];
const LAST = ['Smith', 'Garcia', 'Miller', 'Chen', 'Novak', 'Okafor', 'Rossi', 'Kumar', 'Schmidt', 'Dubois', 'Silva', 'Jensen', 'Brown', 'Kowalski', 'Tanaka', 'Haddad', 'Walsh', 'Moreau', 'Lopez', 'Berg'];
const COMPANIES = ['Acme Supplies', 'Northwind Traders', 'Bluebird Print', 'Green Valley Farms', 'Orbit Software', 'Harbor Logistics', 'Maple Office', 'Summit Tools', 'Riverside Foods', 'Pioneer Energy', 'Atlas Design', 'Cedar Health', 'Nimbus Cloud', 'Lighthouse Books', 'Copper Kettle Cafe'];
const PRODUCTS = ['wireless headphones', 'standing desk', 'coffee grinder', 'running shoes', 'office chair', 'laptop stand', 'winter jacket', 'water bottle', 'phone case', 'desk lamp', 'yoga mat', 'backpack', 'printer paper', 'kitchen scale', 'bike helmet', 'monitor', 'keyboard', 'garden hose', 'blender', 'notebook set'];
const SERVICES = ['web hosting', 'consulting services', 'cloud storage', 'design work', 'cleaning services', 'software licence', 'maintenance contract', 'translation services', 'delivery fees', 'marketing campaign'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const CURRENCIES = [['$', ''], ['€', ''], ['£', ''], ['', ' USD'], ['', ' EUR']];
const GREETINGS = ['Hi {first},', 'Hello {first},', 'Dear {first} {last},', 'Good morning,', 'Hi there,', 'Dear customer,', 'Hello,', 'Hey {first},', 'Dear Sir or Madam,', ''];
const SIGNOFFS = ['Best regards,\n{sender}', 'Kind regards,\n{sender}', 'Thanks,\n{sender}', 'Cheers,\n{sender}', 'Sincerely,\n{sender}', 'Thank you,\nThe {company} team', '— {sender}', ''];

const TEMPLATES: Record<(typeof EMAIL_LABELS)[number], string[]> = {
  invoice: [
    'Please find attached invoice {inv} for {service}, amount due {amount}. Payment is due by {date}.',
    'Your invoice {inv} from {company} is now available. The total of {amount} will be charged on {date}.',
    'This is a reminder that invoice {inv} for {amount} is overdue. Please arrange payment at your earliest convenience.',
    'Attached is our bill for {service} in {month}. Amount: {amount}. Bank transfer details are on the second page.',
    'We have issued a credit note against invoice {inv}. The new balance on your account is {amount}.',
    'Could you confirm receipt of invoice {inv}? Our accounts team has not yet received the payment of {amount}.',
    'Statement of account for {month}: two open invoices, {inv} and a smaller one, total {amount}.',
    'Payment received for invoice {inv}, thank you. Your receipt for {amount} is attached for your records.',
    'The invoice for your {service} subscription is ready. Net amount {amount}, VAT included, due {date}.',
    'Please update the billing address on invoice {inv} before we send it to accounts payable.',
    'Reminder: the second instalment of {amount} for {service} is due on {date}. Invoice {inv} attached.',
    'Our records show an unpaid balance of {amount}. Please pay invoice {inv} within 14 days to avoid late fees.',
  ],
  order: [
    'Your order {order} has shipped! Your {product} should arrive by {date}. Track it with number {track}.',
    'Thanks for your order {order}. We are preparing your {product} and will email you when it ships.',
    'Order confirmation: {qty} x {product}, total {amount}. Estimated delivery {date}.',
    'Good news, your package with the {product} is out for delivery today.',
    'Your order {order} has been delivered. We hope you enjoy your new {product}!',
    'We have received your return for order {order}. A refund of {amount} will be issued within five days.',
    'Your {product} is back in stock and your pre-order {order} will ship on {date}.',
    'Part of your order {order} has shipped; the {product} will follow in a separate parcel.',
    'Order {order} update: the courier has picked up your parcel. Tracking number {track}.',
    'We changed the delivery address for order {order} as requested. New delivery date {date}.',
    'Your order of {qty} {product} is confirmed and will be dispatched from our warehouse tomorrow.',
    'Your order {order} is ready for pick-up at the store. Please bring your order number.',
  ],
  support: [
    'I cannot log in to my account since yesterday. I reset my password but it still says invalid credentials. Can you help?',
    'The {product} I bought stopped working after two days. How do I get it repaired or replaced?',
    'Hello, the app crashes every time I open the settings page. I am on the latest version.',
    'My account was charged twice for the same month. Could you look into this, ticket {ticket}?',
    'How do I change the email address on my account? I cannot find the option anywhere.',
    'Your ticket {ticket} has been updated: our engineers found the cause and a fix is on its way.',
    'I need help setting up the {product}; the instructions in the box are missing a step.',
    'The website shows an error when I try to upload a file larger than 10 MB. Is there a limit?',
    'Thanks for contacting support. We have opened case {ticket} and will reply within 24 hours.',
    'Two-factor authentication codes are not arriving on my phone. Please advise.',
    'The export to spreadsheet button does nothing in my browser. Is this a known issue?',
    'Could you explain how to cancel my subscription? The help page links to a missing article.',
  ],
  spam: [
    'Congratulations!!! You have been selected to win a brand new {product}. Click here to claim your prize now.',
    'Earn {amount} per week working from home, no experience needed. Reply YES to start today!',
    'URGENT: your account will be suspended. Verify your details immediately at the secure link below.',
    'Limited time offer: 90% off designer watches, only today. Buy now before stock runs out!',
    'You are our lucky winner of {amount}. To receive the money, send us your bank details.',
    'Hot singles in your area want to meet you. Click to see their profiles.',
    'Lose 10 kg in 10 days with this one weird trick doctors do not want you to know.',
    'Dear friend, I am a prince and need your help to transfer {amount}. You will receive 30 percent.',
    'Your parcel could not be delivered. Pay a small fee of {amount} here to reschedule: bit.ly/xyz',
    'Cheap meds online, no prescription needed, discreet shipping worldwide.',
    'Act now! Crypto investment doubles your money in 7 days, guaranteed returns.',
    'Final notice: claim your free gift card worth {amount} before midnight.',
  ],
};

// Ambiguous mails sit between two classes; their label is the more defensible reading, but a reader could argue.
const AMBIGUOUS: { label: (typeof EMAIL_LABELS)[number]; text: string }[] = [
  { label: 'support', text: 'I was charged {amount} on invoice {inv} but I never received the {product}. Can someone look into it?' },
  { label: 'invoice', text: 'Quick question about invoice {inv}: is the {amount} including shipping for order {order}?' },
  { label: 'spam', text: 'Your order {order} has shipped! Confirm your card details here to avoid delivery failure.' },
  { label: 'order', text: 'My order {order} has not arrived yet, the tracking page has not changed since {date}.' },
  { label: 'spam', text: 'Invoice {inv} attached. Open the zip file to view your payment of {amount} immediately.' },
  { label: 'support', text: 'The refund of {amount} for my returned {product} is missing from my account.' },
  { label: 'invoice', text: 'Please send a corrected invoice for order {order}, the VAT number is wrong.' },
  { label: 'order', text: 'Can I still change the colour of the {product} in order {order} before it ships?' },
];

const TYPOS: [RegExp, string][] = [
  [/the /g, 'teh '],
  [/receive/g, 'recieve'],
  [/your /g, 'ur '],
  [/please/gi, 'pls'],
  [/ and /g, ' & '],
  [/\./g, ''],
];

interface GenerateOptions {
  count: number;
  seed: number;
  /** Share of ambiguous emails (default 0.05). */
  ambiguity?: number;
}

export function keywordEmails({ count, seed, ambiguity = 0.05 }: GenerateOptions): Example[] {
  if (!Number.isInteger(count) || count < 1 || count > 50_000) throw new Error(`count must be an integer from 1 to 50,000 (got ${count}).`);
  const rng = createRng(seed);
  const out: Example[] = [];
  for (let i = 0; i < count; i++) {
    // Round-robin labels keep the classes balanced to within one example.
    const label = EMAIL_LABELS[i % EMAIL_LABELS.length];
    const slots = makeSlots(rng);
    let body: string;
    if (rng.next() < ambiguity) {
      const pool = AMBIGUOUS.filter((a) => a.label === label);
      body = fill(pool[rng.int(pool.length)].text, slots);
    } else {
      const t = TEMPLATES[label];
      body = fill(t[rng.int(t.length)], slots);
      // Longer mails: a second sentence from the same class.
      if (rng.next() < 0.35) body += ' ' + fill(t[rng.int(t.length)], makeSlots(rng));
    }
    const greeting = fill(pick(rng, GREETINGS), slots);
    const signoff = label === 'spam' && rng.next() < 0.5 ? '' : fill(pick(rng, SIGNOFFS), slots);
    let text = [greeting, body, signoff].filter(Boolean).join(rng.next() < 0.5 ? '\n\n' : ' ');
    if (rng.next() < 0.12) {
      const [re, rep] = pick(rng, TYPOS);
      text = text.replace(re, rep);
    }
    if (label === 'spam' && rng.next() < 0.3) text = text.toUpperCase();
    out.push({ text, label });
  }
  return rng.shuffle(out);
}

function makeSlots(rng: Rng): Record<string, string> {
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  const [pre, post] = pick(rng, CURRENCIES);
  const amount = (5 + rng.next() * (rng.next() < 0.2 ? 9000 : 900)).toFixed(2);
  return {
    first,
    last,
    sender: `${pick(rng, FIRST)} ${pick(rng, LAST)}`,
    company: pick(rng, COMPANIES),
    product: pick(rng, PRODUCTS),
    service: pick(rng, SERVICES),
    amount: `${pre}${amount}${post}`,
    inv: `${pick(rng, ['INV-', 'INV', '#', 'No. '])}${10000 + rng.int(90000)}`,
    order: `${pick(rng, ['#', 'ORD-', 'no. ', ''])}${100000 + rng.int(900000)}`,
    track: `${pick(rng, ['1Z', 'JD', 'TR'])}${100000000 + rng.int(900000000)}`,
    ticket: `#${1000 + rng.int(9000)}`,
    qty: String(1 + rng.int(5)),
    month: pick(rng, MONTHS),
    date: `${pick(rng, MONTHS)} ${1 + rng.int(28)}`,
  };
}

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? '');
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}
