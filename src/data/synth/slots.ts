// Slot values for one email: names, money, dates and reference numbers in the many shapes real mail uses.
// Slots are drawn lazily and kept for the whole email, so "{name}" is the same person in the greeting and the
// body, and one email keeps one currency style throughout.
import type { Rng } from '../../util/rng';
import {
  NAMES, JOB_TITLES, ORG_STEMS, ORG_SUFFIXES, SHOP_TRADES, SERVICE_TRADES, BOOKINGS, CITIES, CARRIERS, BRANDS, BRAND_MISSPELT, APPS,
  FEATURES, ERRORS, DEVICES, FIXTURES, DRUGS, COINS, NICHES, WEEKDAYS, MONTHS, TLDS,
} from './vocab';

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** `[a|b|c]` picks one alternative; `[|x]` makes x optional. Applied before slots, so slot values never split. */
export function expand(rng: Rng, template: string): string {
  return template.replace(/\[([^[\]]*)\]/g, (_, body: string) => pick(rng, body.split('|')));
}

type Person = { first: string; last: string };

function person(rng: Rng): Person {
  const g = pick(rng, NAMES);
  // Mostly a name from one region; sometimes mixed, as with people who marry or move.
  const last = rng.next() < 0.85 ? pick(rng, g.last) : pick(rng, pick(rng, NAMES).last);
  return { first: pick(rng, g.first), last };
}

function org(rng: Rng, words: string[]): string {
  const stem = pick(rng, ORG_STEMS);
  const suffix = pick(rng, ORG_SUFFIXES);
  return `${stem} ${pick(rng, words)}${suffix ? ' ' + suffix : ''}`;
}

const TLD_BY_HASH = ['.com', '.co.uk', '.de', '.eu', '.io', '.net', '.fr', '.in', '.pl', '.es', '.nl', '.com.au', '.example'];

/** A plausible web domain for an organisation; the same name always gives the same domain, with no draw. */
function domainOf(name: string): string {
  const base = name.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/\b(ltd|llc|inc|gmbh|s\.a|srl|s\.p\.a|bv|ab|oy|pvt|pty|sp\. z o\.o|s\.r\.o|k\.k|sas|co)\b\.?/g, '').replace(/[^a-z0-9]+/g, '');
  let h = 0;
  for (let i = 0; i < base.length; i++) h = (h * 31 + base.charCodeAt(i)) >>> 0;
  return base.slice(0, 18) + TLD_BY_HASH[h % TLD_BY_HASH.length];
}

/** Money in the styles of many countries, scaled so a Yen or Rupee amount is a plausible number. */
const CURRENCY_STYLES: { scale: number; fmt: (v: number) => string }[] = [
  { scale: 1, fmt: (v) => `$${group(v, ',', '.')}` },
  { scale: 1, fmt: (v) => `USD ${group(v, ',', '.')}` },
  { scale: 1, fmt: (v) => `${group(v, ',', '.')} USD` },
  { scale: 1, fmt: (v) => `$${v.toFixed(2)}` },
  { scale: 0.8, fmt: (v) => `£${group(v, ',', '.')}` },
  { scale: 0.8, fmt: (v) => `GBP ${group(v, ',', '.')}` },
  { scale: 0.9, fmt: (v) => `${group(v, '.', ',')} €` },
  { scale: 0.9, fmt: (v) => `€${group(v, '.', ',')}` },
  { scale: 0.9, fmt: (v) => `${group(v, '.', ',')} EUR` },
  { scale: 0.9, fmt: (v) => `EUR ${group(v, '.', ',')}` },
  { scale: 0.9, fmt: (v) => `€${group(v, ',', '.')}` },
  { scale: 0.9, fmt: (v) => `${v.toFixed(2)} EUR` },
  { scale: 0.9, fmt: (v) => `CHF ${group(v, "'", '.')}` },
  { scale: 80, fmt: (v) => `₹${indian(v)}` },
  { scale: 80, fmt: (v) => `Rs. ${indian(v)}` },
  { scale: 80, fmt: (v) => `INR ${group(v, ',', '.')}` },
  { scale: 150, fmt: (v) => `¥${group(Math.round(v), ',', '')}` },
  { scale: 150, fmt: (v) => `JPY ${group(Math.round(v), ',', '')}` },
  { scale: 4, fmt: (v) => `${group(v, ' ', ',')} zł` },
  { scale: 4, fmt: (v) => `PLN ${group(v, ' ', ',')}` },
  { scale: 10, fmt: (v) => `${group(v, ' ', ',')} kr` },
  { scale: 10, fmt: (v) => `SEK ${group(v, ' ', ',')}` },
  { scale: 1.4, fmt: (v) => `CA$${group(v, ',', '.')}` },
  { scale: 1.5, fmt: (v) => `A$${group(v, ',', '.')}` },
  { scale: 1.5, fmt: (v) => `AUD ${group(v, ',', '.')}` },
  { scale: 5, fmt: (v) => `R$ ${group(v, '.', ',')}` },
  { scale: 18, fmt: (v) => `R${group(v, ' ', '.')}` },
  { scale: 1500, fmt: (v) => `₦${group(Math.round(v), ',', '')}` },
  { scale: 130, fmt: (v) => `KSh ${group(Math.round(v), ',', '')}` },
  { scale: 3.7, fmt: (v) => `AED ${group(v, ',', '.')}` },
  { scale: 25, fmt: (v) => `${group(v, ' ', ',')} Kč` },
];

function group(v: number, thousands: string, decimal: string): string {
  const [int, frac] = (decimal ? v.toFixed(2) : String(Math.round(v))).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
  return frac !== undefined ? `${grouped}${decimal}${frac}` : grouped;
}
function indian(v: number): string {
  const [int, frac] = v.toFixed(2).split('.');
  const last3 = int.slice(-3);
  const rest = int.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',');
  return `${rest ? rest + ',' : ''}${last3}.${frac}`;
}

/** Log-uniform in [lo, hi): small bills are as common as large ones in relative terms. */
function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo)));
}

const MON3 = MONTHS.map((m) => m.slice(0, 3));
const DAY3 = WEEKDAYS.map((d) => d.slice(0, 3));

function date(rng: Rng, year: number): string {
  const m = rng.int(12);
  const d = 1 + rng.int(28);
  const dd = String(d).padStart(2, '0');
  const mm = String(m + 1).padStart(2, '0');
  const wd = rng.int(7);
  const styles = [
    () => `${MONTHS[m]} ${d}`,
    () => `${d} ${MONTHS[m]}`,
    () => `${d} ${MONTHS[m]} ${year}`,
    () => `${MONTHS[m]} ${d}, ${year}`,
    () => `${dd}/${mm}/${year}`,
    () => `${mm}/${dd}/${year}`,
    () => `${year}-${mm}-${dd}`,
    () => `${d}.${m + 1}.${year}`,
    () => `${dd}.${mm}.${String(year).slice(2)}`,
    () => `${DAY3[wd]} ${d} ${MON3[m]}`,
    () => `${WEEKDAYS[wd]}, ${MONTHS[m]} ${d}`,
    () => `the ${ordinal(d)}`,
    () => `${ordinal(d)} of ${MONTHS[m]}`,
    () => pick(rng, ['tomorrow', 'Friday', 'next Monday', 'the end of the month', 'end of next week', 'Thursday', 'today']),
  ];
  return pick(rng, styles)();
}
function ordinal(n: number): string {
  const s = n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th';
  return `${n}${s}`;
}

function digits(rng: Rng, n: number): string {
  let s = String(1 + rng.int(9));
  for (let i = 1; i < n; i++) s += String(rng.int(10));
  return s;
}
function letters(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += 'ABCDEFGHJKLMNPQRSTUVWXYZ'[rng.int(24)];
  return s;
}

/** Reference numbers in many shapes: what a model should treat as "some reference", not a class cue. */
function reference(rng: Rng, kind: 'inv' | 'order' | 'ticket' | 'booking' | 'po' | 'acct' | 'track', year: number): string {
  const y = String(year);
  const shapes: Record<typeof kind, (() => string)[]> = {
    inv: [() => `INV-${digits(rng, 5)}`, () => `${y}-${digits(rng, 4)}`, () => `#${digits(rng, 5)}`, () => `No. ${digits(rng, 3)}/${y.slice(2)}`, () => `F${y}-${digits(rng, 3)}`, () => `RE-${digits(rng, 5)}`, () => `BL/${y.slice(2)}/${digits(rng, 4)}`, () => `${y}/INV/${digits(rng, 3)}`, () => `${letters(rng, 2)}${digits(rng, 6)}`, () => digits(rng, 8), () => `FV/${digits(rng, 3)}/${String(1 + rng.int(12)).padStart(2, '0')}/${y}`],
    order: [() => `#${digits(rng, 6)}`, () => `ORD-${digits(rng, 6)}`, () => `${digits(rng, 3)}-${digits(rng, 7)}-${digits(rng, 7)}`, () => `SO-${digits(rng, 5)}`, () => `${letters(rng, 2)}${digits(rng, 7)}`, () => `no. ${digits(rng, 5)}`, () => `W${digits(rng, 9)}`, () => `${letters(rng, 3)}-${digits(rng, 4)}-${letters(rng, 2)}`],
    ticket: [() => `#${digits(rng, 5)}`, () => `[#CS-${digits(rng, 5)}]`, () => `CAS-${digits(rng, 3)}-${digits(rng, 3)}`, () => `00${digits(rng, 6)}`, () => `INC${digits(rng, 7)}`, () => `HD-${digits(rng, 4)}`, () => `ref ${letters(rng, 3)}${digits(rng, 4)}`, () => `SR ${digits(rng, 8)}`],
    booking: [() => letters(rng, 6), () => `${letters(rng, 2)}${digits(rng, 4)}`, () => `BK-${digits(rng, 6)}`, () => `${digits(rng, 10)}`, () => `RES${digits(rng, 5)}`],
    po: [() => `PO ${digits(rng, 10)}`, () => `PO-${digits(rng, 5)}`, () => `P${y.slice(2)}-${digits(rng, 4)}`, () => `purchase order ${digits(rng, 6)}`],
    acct: [() => `${digits(rng, 8)}`, () => `${letters(rng, 3)}-${digits(rng, 6)}`, () => `C${digits(rng, 7)}`, () => `${digits(rng, 4)} ${digits(rng, 4)} ${digits(rng, 4)}`, () => `${letters(rng, 4)}${digits(rng, 3)}`],
    track: [() => `1Z${letters(rng, 3)}${digits(rng, 10)}`, () => `JD${digits(rng, 16)}`, () => `${letters(rng, 2)}${digits(rng, 9)}GB`, () => `${digits(rng, 12)}`, () => `${letters(rng, 2)}${digits(rng, 9)}DE`, () => `H${digits(rng, 15)}`, () => `${digits(rng, 4)} ${digits(rng, 4)} ${digits(rng, 4)}`],
  };
  return pick(rng, shapes[kind])();
}

function phone(rng: Rng): string {
  return pick(rng, [
    () => `+44 20 ${digits(rng, 4)} ${digits(rng, 4)}`,
    () => `(${digits(rng, 3)}) ${digits(rng, 3)}-${digits(rng, 4)}`,
    () => `+1 ${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 4)}`,
    () => `+49 30 ${digits(rng, 8)}`,
    () => `+33 1 ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)}`,
    () => `+91 ${digits(rng, 5)} ${digits(rng, 5)}`,
    () => `+48 ${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 3)}`,
    () => `0800 ${digits(rng, 3)} ${digits(rng, 3)}`,
    () => `+234 ${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 4)}`,
    () => `+81 3-${digits(rng, 4)}-${digits(rng, 4)}`,
    () => `+34 ${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 3)}`,
    () => `07${digits(rng, 3)} ${digits(rng, 6)}`,
    () => `+61 ${digits(rng, 1)} ${digits(rng, 4)} ${digits(rng, 4)}`,
  ])();
}

export interface Slots {
  get(key: string): string;
  /** A value in this email's currency style (for line items whose total must add up). */
  money(value: number): string;
  /** A price drawn log-uniformly in [lo, hi), in US-dollar-like units before the currency's scale. */
  price(lo: number, hi: number): number;
  /** n different goods from this email's shop, or n different services from its provider. */
  goods(n: number): string[];
  services(n: number): string[];
}

interface Ctx {
  rng: Rng;
  year: number;
  currency: (typeof CURRENCY_STYLES)[number];
  cache: Map<string, string>;
  get(key: string): string;
  who(role: string): Person;
  money(lo: number, hi: number): string;
  shop(): (typeof SHOP_TRADES)[number];
  service(): (typeof SERVICE_TRADES)[number];
}

/** How each slot is drawn; a module-level table so that an email costs one small context, not 60 closures. */
const MAKERS: Record<string, (c: Ctx) => string> = {
  first: (c) => c.who('to').first,
  last: (c) => c.who('to').last,
  name: (c) => `${c.who('to').first} ${c.who('to').last}`,
  sfirst: (c) => c.who('from').first,
  slast: (c) => c.who('from').last,
  sname: (c) => `${c.who('from').first} ${c.who('from').last}`,
  colleague: (c) => c.who('colleague').first,
  stitle: (c) => pick(c.rng, JOB_TITLES),
  toemail: (c) => `${c.who('to').first}${pick(c.rng, ['.', '_', ''])}${c.who('to').last}`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z._]/g, '') + '@' + pick(c.rng, ['gmail.com', 'outlook.com', 'yahoo.com', 'web.de', 'icloud.com', 'proton.me', 'hotmail.co.uk', 'orange.fr', 'wp.pl']),
  email: (c) => `${c.who('from').first}.${c.who('from').last}`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z.]/g, '') + '@' + c.get('domain'),
  company: (c) => org(c.rng, c.service().words),
  shop: (c) => org(c.rng, c.shop().words),
  client: (c) => org(c.rng, pick(c.rng, SERVICE_TRADES).words),
  // The employer of a person who writes (their signature), unrelated to what the mail is about.
  sorg: (c) => org(c.rng, c.rng.next() < 0.5 ? pick(c.rng, SERVICE_TRADES).words : pick(c.rng, SHOP_TRADES).words),
  // The sender's organisation: the shop if the mail speaks of one, else the provider.
  org: (c) => (c.cache.has('shop') ? c.get('shop') : c.get('company')),
  domain: (c) => domainOf(c.get('org')),
  url: (c) => `${pick(c.rng, ['https://', 'www.', 'https://www.'])}${c.get('domain')}/${pick(c.rng, ['account', 'orders', 'billing', 'help', 'track', 'login', 'my-account/invoices', 'support/ticket'])}`,
  badurl: (c) => pick(c.rng, [
    () => `http://${pick(c.rng, ['secure', 'verify', 'account', 'login', 'update', 'billing', 'support', 'parcel'])}-${c.get('brand').toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 9)}${pick(c.rng, TLDS)}/${letters(c.rng, 5).toLowerCase()}`,
    () => `bit.ly/${letters(c.rng, 3)}${digits(c.rng, 2)}${letters(c.rng, 2).toLowerCase()}`,
    () => `https://tinyurl.com/${letters(c.rng, 6).toLowerCase()}`,
    () => `hxxp://${digits(c.rng, 3)}.${digits(c.rng, 2)}.${digits(c.rng, 3)}.${digits(c.rng, 2)}/${pick(c.rng, ['login', 'pay', 'claim', 'redeliver'])}.php`,
    () => `https://${pick(c.rng, ['my', 'go', 'web', 'app'])}${letters(c.rng, 4).toLowerCase()}${pick(c.rng, TLDS)}`,
  ])(),
  brand: (c) => (c.rng.next() < 0.8 ? pick(c.rng, BRANDS) : pick(c.rng, BRAND_MISSPELT)),
  phone: (c) => phone(c.rng),
  amount: (c) => c.money(8, 6000),
  amount2: (c) => c.money(5, 900),
  total: (c) => c.money(40, 12000),
  fee: (c) => c.currency.fmt((0.99 + c.rng.int(400) / 100) * Math.max(1, Math.round(c.currency.scale))),
  bigmoney: (c) => pick(c.rng, [() => `$${group(Math.round(logUniform(c.rng, 1e5, 2e7)), ',', '')}`, () => `${(1 + c.rng.int(40)) / 2} million USD`, () => `€${group(Math.round(logUniform(c.rng, 1e5, 9e6)), '.', '')}`, () => `£${group(Math.round(logUniform(c.rng, 5e4, 5e6)), ',', '')}`, () => `US$${digits(c.rng, 1)},${digits(c.rng, 3)},000.00`])(),
  percent: (c) => `${pick(c.rng, [10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90])}%`,
  salary: (c) => c.money(300, 4000),
  date: (c) => date(c.rng, c.year),
  date2: (c) => date(c.rng, c.year),
  // Dates in mail headers: always a full date, as clients write them.
  hdate: (c) => {
    const m = c.rng.int(12), d = 1 + c.rng.int(28), wd = c.rng.int(7);
    return pick(c.rng, [`${DAY3[wd]}, ${d} ${MON3[m]} ${c.year}`, `${d} ${MONTHS[m]} ${c.year}`, `${String(d).padStart(2, '0')}/${String(m + 1).padStart(2, '0')}/${c.year}`, `${c.year}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`, `${MONTHS[m]} ${d}, ${c.year}`, `${WEEKDAYS[wd]}, ${MONTHS[m]} ${d}, ${c.year}`, `${d}.${m + 1}.${c.year}`]);
  },
  time: (c) => pick(c.rng, [`${1 + c.rng.int(12)}:${pick(c.rng, ['00', '15', '30', '45'])} ${pick(c.rng, ['am', 'pm', 'AM', 'PM'])}`, `${String(7 + c.rng.int(13)).padStart(2, '0')}:${pick(c.rng, ['00', '15', '30', '45'])}`, `${1 + c.rng.int(12)}${pick(c.rng, ['am', 'pm'])}`]),
  window: (c) => pick(c.rng, ['between 8am and 12pm', '14:00–16:00', 'between 9:00 and 13:00', 'in the afternoon', '7–11 am', 'between 1 and 3 pm', 'some time before 6pm']),
  weekday: (c) => pick(c.rng, WEEKDAYS),
  month: (c) => pick(c.rng, MONTHS),
  period: (c) => pick(c.rng, [`${pick(c.rng, MONTHS)} ${c.year}`, pick(c.rng, MONTHS), `Q${1 + c.rng.int(4)} ${c.year}`, `${pick(c.rng, MON3)}–${pick(c.rng, MON3)}`, 'last month', 'the last quarter', `week ${1 + c.rng.int(52)}`]),
  days: (c) => String(pick(c.rng, [3, 5, 7, 10, 14, 21, 30, 45, 60])),
  year: (c) => String(c.year),
  inv: (c) => reference(c.rng, 'inv', c.year),
  order: (c) => reference(c.rng, 'order', c.year),
  ticket: (c) => reference(c.rng, 'ticket', c.year),
  booking: (c) => reference(c.rng, 'booking', c.year),
  po: (c) => reference(c.rng, 'po', c.year),
  acct: (c) => reference(c.rng, 'acct', c.year),
  track: (c) => reference(c.rng, 'track', c.year),
  ref: (c) => `${letters(c.rng, pick(c.rng, [2, 3, 4]))}-${digits(c.rng, pick(c.rng, [4, 6, 8]))}`,
  code: (c) => digits(c.rng, 6),
  card: (c) => pick(c.rng, ['card ending ' + digits(c.rng, 4), 'Visa ending in ' + digits(c.rng, 4), 'Mastercard •••• ' + digits(c.rng, 4), 'your card ending ' + digits(c.rng, 4), 'direct debit']),
  iban: (c) => pick(c.rng, [`GB${digits(c.rng, 2)} ${letters(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 2)}`, `DE${digits(c.rng, 2)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 2)}`, `sort code ${digits(c.rng, 2)}-${digits(c.rng, 2)}-${digits(c.rng, 2)}, account ${digits(c.rng, 8)}`, `PL${digits(c.rng, 2)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)} ${digits(c.rng, 4)}`]),
  product: (c) => pick(c.rng, c.shop().goods),
  product2: (c) => {
    const goods = c.shop().goods.filter((g) => g !== c.get('product'));
    return pick(c.rng, goods);
  },
  qty: (c) => String(pick(c.rng, [1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 50])),
  service: (c) => pick(c.rng, c.service().services),
  booked: (c) => pick(c.rng, BOOKINGS),
  city: (c) => pick(c.rng, CITIES),
  carrier: (c) => pick(c.rng, CARRIERS),
  app: (c) => pick(c.rng, APPS),
  feature: (c) => pick(c.rng, FEATURES),
  error: (c) => pick(c.rng, ERRORS),
  device: (c) => pick(c.rng, DEVICES),
  fixture: (c) => pick(c.rng, FIXTURES),
  drug: (c) => pick(c.rng, DRUGS),
  coin: (c) => pick(c.rng, COINS),
  niche: (c) => pick(c.rng, NICHES),
};

/** A lazily filled table of slot values for one email. */
export function createSlots(rng: Rng): Slots {
  const cache = new Map<string, string>();
  const year = 2022 + rng.int(4);
  const currency = pick(rng, CURRENCY_STYLES);
  let shopTrade: (typeof SHOP_TRADES)[number] | undefined;
  let serviceTrade: (typeof SERVICE_TRADES)[number] | undefined;
  const people = new Map<string, Person>();
  const c: Ctx = {
    rng, year, currency, cache, get,
    who: (role) => {
      let p = people.get(role);
      if (!p) people.set(role, (p = person(rng)));
      return p;
    },
    money: (lo, hi) => currency.fmt(logUniform(rng, lo, hi) * currency.scale),
    shop: () => (shopTrade ??= pick(rng, SHOP_TRADES)),
    service: () => (serviceTrade ??= pick(rng, SERVICE_TRADES)),
  };

  function get(key: string): string {
    let v = cache.get(key);
    if (v === undefined) {
      const f = MAKERS[key];
      if (!f) throw new Error(`synth: unknown slot {${key}}`);
      // A value may name further slots ("flight to {city}").
      v = fill(f(c), get);
      cache.set(key, v);
    }
    return v;
  }
  const distinct = (xs: string[], n: number) => rng.shuffle([...xs]).slice(0, Math.min(n, xs.length));
  return {
    get,
    money: (v) => currency.fmt(v * currency.scale),
    price: (lo, hi) => logUniform(rng, lo, hi),
    goods: (n) => distinct(c.shop().goods, n),
    services: (n) => distinct(c.service().services, n),
  };
}

export function fill(template: string, get: (key: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => get(k));
}
