// Ambiguous mails: their words point at one class, the labelling rule (see synth.ts) at another. Each names the
// step that decides, so a reader can check the label without re-deriving it.
import type { Scenario } from './types';

type Ambiguous = Scenario & { why: string };

export const AMBIGUOUS: Ambiguous[] = [
  // ---- spam that imitates another class (step 1 wins whatever is imitated) ----
  {
    id: 'ambiguous/phish-invoice', label: 'spam', voice: 'scammer', askAlways: true, why: 'imitates an invoice but sends the reader to a lookalike link or a login (step 1)',
    subjects: ['Invoice {inv} is ready', 'Outstanding invoice – {amount}', 'Your invoice from {brand}', 'Payment due: {inv}'],
    opens: [
      'Your invoice {inv} for {amount} is ready. View and pay it securely at {badurl}.',
      'Please find your invoice {inv} below. To open the document, sign in with your email password at {badurl}.',
      'Your payment of {amount} for invoice {inv} failed. Update your billing details here: {badurl}.',
      'Overdue invoice {inv}: pay {amount} within 24 hours at {badurl} to avoid suspension.',
    ],
    details: ['This document is protected; verify your email to view it.', 'Amount due: {amount}.'],
    asks: ['View invoice: {badurl}'],
    shorts: ['Invoice {inv} ({amount}) – view: {badurl}'],
  },
  {
    id: 'ambiguous/phish-order', label: 'spam', voice: 'scammer', askAlways: true, why: 'a fake order confirmation for a purchase never made, pushing a phone call (step 1)',
    subjects: ['Your order has been placed', 'Order {order} confirmed', 'Thank you for your purchase'],
    opens: [
      'Your order {order} for a {product} ({amount}) has been confirmed and will ship today. Didn’t place this order? Call {phone} to cancel.',
      'Thank you for your purchase of {qty} gift cards worth {amount}. If you did not make this purchase, call our fraud team on {phone}.',
      'Your {brand} order {order} has shipped. To stop the delivery and get a refund, call {phone} within 24 hours.',
    ],
    details: ['Payment method: {card}.'],
    asks: ['Call {phone} now to cancel.'],
    shorts: ['Order {order} {amount} placed. Not you? Call {phone}'],
  },
  {
    id: 'ambiguous/phish-refund', label: 'spam', voice: 'scammer', askAlways: true, why: 'imitates a refund but asks for card details on an odd link (step 1)',
    subjects: ['Refund approved', 'You have a pending refund of {amount}', '{brand}: refund notification'],
    opens: [
      'Your refund of {amount} for order {order} has been approved. Enter your card details at {badurl} to receive it.',
      '{brand}: we owe you {amount} after a billing error. Confirm your bank login at {badurl} to get the money back.',
      'A refund for your returned item is waiting. Verify your identity at {badurl} within 48 hours.',
    ],
    asks: ['Claim refund: {badurl}'],
    shorts: ['Refund {amount} pending – confirm card at {badurl}'],
  },
  {
    id: 'ambiguous/phish-delivery-known-shop', label: 'spam', voice: 'scammer', why: 'imitates a delivery notice but asks for a fee and details via a lookalike link (step 1)',
    subjects: ['Your {shop} order is on hold', 'Delivery update for order {order}'],
    opens: [
      'Your order {order} from {shop} is waiting at our depot. Pay the {fee} redelivery fee at {badurl} to receive it.',
      'We could not deliver your {product}. Confirm your address and pay {fee} at {badurl}.',
    ],
    shorts: ['{shop} parcel on hold, pay {fee}: {badurl}'],
  },
  {
    id: 'ambiguous/payment-redirect-supplier', label: 'spam', voice: 'scammer', why: 'a supplier-looking payment request to changed bank details from a lookalike domain (step 1)',
    subjects: ['Re: invoice {inv}', 'Updated bank details for invoice {inv}', 'Re: Re: payment for {period}'],
    opens: [
      'As discussed, please pay invoice {inv} ({amount}) to our new bank account below, our old one is under audit.',
      'Kindly note our change of bank: the attached invoice {inv} must be paid to {iban} from today.',
      'Following up on invoice {inv}. Please use the updated account details in this email, not the ones printed on the invoice.',
    ],
    details: ['Sent from accounts@{company}-invoices.co (lookalike).', 'Please do not call our office, the lines are being upgraded.'],
    asks: ['Confirm once paid.'],
    shorts: ['Pay {inv} to new account {iban} today pls.'],
  },
  {
    id: 'ambiguous/unsolicited-bill', label: 'spam', voice: 'scammer', askAlways: true, why: 'looks like a bill but is an unsolicited offer from a party with no agreement (step 1)',
    subjects: ['Domain listing invoice', 'Annual registration fee', 'Business directory renewal'],
    opens: [
      'Invoice for the annual listing of your domain in our search directory: {amount}. Payment is optional but your listing expires on {date}.',
      'Your company registration in the Global Business Register must be renewed. Fee due: {amount}.',
      'Statement: trademark monitoring service, {amount}, due {date}. This is a solicitation, not a bill.',
    ],
    asks: ['Pay at {badurl} to keep your listing.'],
    shorts: ['Directory renewal {amount} due – {badurl}'],
  },
  {
    id: 'ambiguous/shop-promo', label: 'spam', voice: 'company', why: 'bulk promotion, even from a shop the reader has bought from (step 1)',
    subjects: ['Thanks for your last order – here’s {percent} off', 'We miss you!', 'Your next order is on us'],
    opens: [
      'Thanks for your recent order! As a thank-you, here is {percent} off your next purchase with code BACK{qty}.',
      'It’s been a while since your last order at {shop}. Come back and get free delivery this week.',
      'Customers who bought the {product} also loved these – now {percent} off.',
    ],
    asks: ['Shop now: {url}', 'Unsubscribe from marketing emails.'],
    shorts: ['Your last order was great – get {percent} off the next one!'],
  },
  {
    id: 'ambiguous/gift-card-colleague', label: 'spam', voice: 'scammer', why: 'a colleague-looking request to buy gift cards by email is a known fraud (step 1)',
    subjects: ['Quick task', 'Are you in the office?', 'Need your help'],
    opens: [
      'Hi {first}, can you pick up {qty} Amazon gift cards for the client thank-you? I will approve the expense later, send me the codes.',
      'I need a small favour before my meeting, please buy gift cards worth {amount} and email me the codes. Don’t mention it to the team yet.',
    ],
    shorts: ['{first} are you free? need you to buy gift cards for me today'],
  },
  // ---- support although the topic is an order, a bill or spam (step 2) ----
  {
    id: 'ambiguous/forwarded-phishing', label: 'support', voice: 'person', why: 'forwards a suspicious mail and asks whether it is safe: a help request (step 2), not the spam itself',
    wraps: { kind: 'forward', from: ['spam/phish-account', 'spam/phish-delivery', 'spam/fake-invoice', 'spam/phish-tax', 'spam/phish-it', 'spam/prize', 'spam/advance-fee', 'spam/crypto', 'spam/payment-redirect', 'ambiguous/phish-invoice', 'ambiguous/phish-order', 'ambiguous/phish-refund'] },
    subjects: ['Fwd: is this real?', 'FW: suspicious email', 'Is this a scam?', 'Fwd: phishing?'],
    opens: [
      'Got this today – is it genuine or a scam? I haven’t clicked anything.',
      'Is this email really from you? It asks for my card details.',
      'Can IT check this please, looks dodgy to me.',
      'I clicked the link below before I noticed the address. What should I do now?',
      'Is this legit? I don’t remember ordering anything.',
    ],
    shorts: ['is this real??', 'Phishing? see below', 'Should I worry about this one?'],
  },
  {
    id: 'ambiguous/relative-scam', label: 'support', voice: 'person', why: 'describes a scam, but the writer is a relative asking for help (step 2)',
    subjects: ['I think I got scammed', 'Strange call about my bank', 'Help please'],
    opens: [
      'Someone called saying they were from my bank and I gave them the code from my phone. What should I do?',
      'I got an email saying I won a prize and I paid the {fee} fee. Now they want more. Can you help me?',
      'A man phoned about my computer having a virus and now he has control of the screen. Please call me.',
    ],
    shorts: ['I think I paid a scammer. Can you call me?'],
  },
  {
    id: 'ambiguous/complaint-order', label: 'support', voice: 'person', why: 'customer says a purchase is late, missing or wrong and asks for action (step 2), although the topic is delivery',
    wraps: { kind: 'quote', from: ['order/shipped', 'order/confirmation', 'order/delay'] },
    subjects: ['Re: Your order has shipped', 'Re: delivery of order {order}', 'Re: dispatch confirmation'],
    opens: [
      'This says shipped on {date} but nothing has arrived and the tracking hasn’t moved. Please resend or refund.',
      'The order below arrived with the {product} missing. Can you send it or refund me?',
      'You sent the wrong colour – the order confirmation below says blue. Please exchange it.',
      'Order {order} was meant to arrive before {date}. It didn’t, and I need it. What are you doing about it?',
    ],
    shorts: ['Never arrived. Please resend.', 'wrong item in this order, pls fix'],
  },
  {
    id: 'ambiguous/dispute-invoice', label: 'support', voice: 'person', why: 'customer questions a charge or an invoice line (step 2), although the word invoice is prominent',
    wraps: { kind: 'quote', from: ['invoice/supplier-bill', 'invoice/utility-bill', 'invoice/reminder'] },
    subjects: ['Re: Invoice {inv}', 'Query on invoice {inv}', 'Re: your bill for {period}'],
    opens: [
      'Invoice {inv} charges us for {qty} licences, but we cancelled two of them in {month}. Can you correct it?',
      'The invoice below includes a call-out fee we were told would be waived.',
      'We have been invoiced twice for {period} – {inv} and another one with the same amount. Please look into it.',
      'Why does this invoice show {amount} when the quote said {amount2}?',
    ],
    shorts: ['Invoice {inv} looks wrong – double charge?', 'Why is there a late fee on this invoice? We paid on time.'],
  },
  {
    id: 'ambiguous/invoice-feature-howto', label: 'support', voice: 'person', why: 'a how-to question about a product feature whose subject is invoices (step 2)',
    subjects: ['Invoice template', 'Logo on invoices', 'Invoice numbering'],
    opens: [
      'How do I add our logo to the invoices we send from your app?',
      'Is it possible to change the invoice numbering so it starts at 1000?',
      'Where do I set the default payment terms on new invoices?',
      'Can I send invoices in French from {app}?',
    ],
    shorts: ['how do I put my logo on invoices?'],
  },
  {
    id: 'ambiguous/cancel-blocked', label: 'support', voice: 'person', why: 'a cancellation the writer cannot complete because the website is broken (step 2)',
    subjects: ['Cancel order – site error', 'Can’t cancel my subscription'],
    opens: [
      'I want to cancel order {order} but the cancel button says {error}.',
      'Your site won’t let me cancel before the renewal on {date}; it errors at the last step.',
    ],
    shorts: ['cancel order fails with {error} – pls cancel for me'],
  },
  // ---- support by the fallback (step 5) although it looks like account or marketing mail ----
  {
    id: 'ambiguous/legit-account', label: 'support', voice: 'system', why: 'legitimate account mail with no outside link and no request for credentials (step 5)',
    subjects: ['Your password reset code', 'Security: new device', 'Your account email was changed'],
    opens: [
      'Someone asked to reset the password for your {company} account. Your code is {code}. If it wasn’t you, you can ignore this email.',
      'A new device signed in to your account on {date}. If this was you, there’s nothing to do. If not, change your password in the app.',
      'The email address on your account was changed on {date}. If you didn’t do this, reply to this message.',
    ],
    shorts: ['Reset code: {code}. Ignore if not you.'],
  },
  {
    id: 'ambiguous/case-survey', label: 'support', voice: 'system', why: 'a survey about a specific help case, not bulk promotion (step 5)',
    subjects: ['How was your support experience?', 'Tell us about case {ticket}'],
    opens: [
      'Your case {ticket} about the {product} was closed on {date}. Would you take a minute to rate how it was handled?',
      '{sfirst} helped you with your order problem last week. How satisfied were you with the outcome?',
    ],
    shorts: ['Rate case {ticket}: reply 1–5'],
  },
  // ---- order although it sounds like a problem or a bill (step 3) ----
  {
    id: 'ambiguous/seller-delay', label: 'order', voice: 'company', why: 'the seller’s own notice of a delay, even though it apologises for a problem (step 3)',
    subjects: ['We’re sorry – your order is late', 'Problem with your delivery date', 'Apologies for the delay'],
    opens: [
      'We’re really sorry: a problem at our warehouse means your {product} will arrive {qty} days late, on {date}.',
      'Unfortunately there is an issue with our courier and your parcel is delayed. We know this is frustrating.',
      'Due to a fault on our packing line, orders placed on {date} will ship next week. Sorry for the trouble.',
    ],
    asks: ['You don’t need to do anything; we’ll email when it ships.'],
    shorts: ['Sorry, your order is delayed to {date}.'],
  },
  {
    id: 'ambiguous/replacement-reply', label: 'order', voice: 'company', why: 'seller’s reply to a complaint whose content is a replacement shipment (step 3)',
    wraps: { kind: 'quote', from: ['support/damaged-wrong', 'support/faulty-product', 'ambiguous/complaint-order'] },
    subjects: ['Re: broken {product}', 'Re: complaint – order {order}', 'Re: wrong item'],
    opens: [
      'So sorry about that. We have sent a replacement {product} today with {carrier}, tracking {track}.',
      'Apologies for the mix-up – the correct item was dispatched this morning and should arrive {date}.',
      'Thanks for the photos. A new one is on its way; keep the damaged one.',
    ],
    shorts: ['Replacement shipped, tracking {track}. Sorry!'],
  },
  {
    id: 'ambiguous/refund-return', label: 'order', voice: 'company', why: 'a refund, but for goods sent back: return logistics (step 3), not a billing correction',
    subjects: ['Refund processed', 'Your money is on its way back', 'Refund for order {order}'],
    opens: [
      'We received the {product} you sent back and have refunded {amount2} to {card}.',
      'Your refund of {amount2} has been processed now that your return reached our warehouse.',
      'The returned items were checked and a full refund, including postage, has been issued.',
    ],
    shorts: ['Return received, {amount2} refunded.'],
  },
  {
    id: 'ambiguous/shipped-with-receipt', label: 'order', voice: 'system', items: 'goods', why: 'a shipping notification that includes a receipt or totals: it carries delivery status (step 3)',
    subjects: ['Receipt and dispatch confirmation', 'Your receipt – order shipped', 'Payment received, order on its way'],
    opens: [
      'Payment received – thank you! Your items have shipped with {carrier}. Receipt below.',
      'Here is your receipt for {amount}. Your parcel was dispatched today, tracking {track}.',
      'Your order {order} has been charged {amount} (VAT included) and is on its way.',
    ],
    shorts: ['Paid {amount}, shipped today: {track}'],
  },
  {
    id: 'ambiguous/collect-balance', label: 'order', voice: 'company', why: 'goods or a booked service ready to collect, balance payable on collection (step 3)',
    subjects: ['Ready for collection – balance due', 'Your repair is ready'],
    opens: [
      'Your {device} repair is complete. The balance of {amount2} is payable when you collect.',
      'Your made-to-measure curtains are ready to pick up; please bring the remaining {amount2}.',
    ],
    shorts: ['Ready to collect, {amount2} to pay on pickup.'],
  },
  {
    id: 'ambiguous/buyer-change', label: 'order', voice: 'person', why: 'buyer changes or cancels before dispatch with no fault by the seller (step 3)',
    subjects: ['Change to order {order}', 'Cancel before shipping', 'Different address please'],
    opens: [
      'No problem with anything, I just need order {order} delivered to my office instead. Can you change it before it ships?',
      'I’d like to cancel the {product} from my order before you send it – I found one locally.',
      'Could you hold my order until I’m back on {date}? Nothing wrong, just away.',
    ],
    shorts: ['pls hold {order} till {date}, away till then'],
  },
  {
    id: 'ambiguous/colleague-status', label: 'order', voice: 'person', why: 'a colleague asks about a purchase with no fault reported: a status query (step 3)',
    subjects: ['Did the chairs arrive?', 'Status of the {product} order', 'Delivery for the office'],
    opens: [
      'Did the {product} we ordered last week turn up yet? {colleague} wants to set them up on {weekday}.',
      'Any idea when the {product} ships? Just planning the install, no issue.',
      'Has our purchase from {shop} come in? Need to know for {weekday}.',
    ],
    shorts: ['has the {shop} stuff arrived?'],
  },
  // ---- invoice although it sounds like support or an order (step 4) ----
  {
    id: 'ambiguous/billing-credit-reply', label: 'invoice', voice: 'company', why: 'a billing team’s reply to a dispute whose content is the credit note or corrected bill (step 4)',
    wraps: { kind: 'quote', from: ['support/disputed-charge', 'ambiguous/dispute-invoice'] },
    subjects: ['Re: wrong charge', 'Re: double charged', 'Re: query on your bill'],
    opens: [
      'Thanks for flagging this. We have issued credit note {inv} for {amount2}; the corrected bill is attached.',
      'You were right, the line was charged twice. The revised invoice shows the new total of {amount}.',
      'We have cancelled the old bill and reissued it without the call-out fee.',
    ],
    shorts: ['Credit note {inv} attached – sorry about that.'],
  },
  {
    id: 'ambiguous/service-credit', label: 'invoice', voice: 'company', why: 'mentions an outage, but the content is a credit on the account (step 4)',
    subjects: ['Credit for last week’s outage', 'Service credit applied', 'Compensation for the disruption'],
    opens: [
      'Following the outage on {date}, we have applied a service credit of {amount2} to your next bill.',
      'Sorry for the broadband problems last month; a credit of {amount2} will appear on your statement.',
      'As compensation for the downtime, your {service} is free for {period}; your next bill will be {amount}.',
    ],
    shorts: ['Outage credit {amount2} added to your bill.'],
  },
  {
    id: 'ambiguous/angry-unpaid', label: 'invoice', voice: 'person', why: 'angry, but the writer is owed money and asks to be paid (step 4, step 2 excludes being unpaid)',
    subjects: ['This is a problem', 'Complaint: unpaid for {days} days', 'Unacceptable'],
    opens: [
      'I have a serious problem with your company: my bill {inv} for {amount} is {days} days overdue and nobody replies.',
      'This is not working. I finished the job in {month} and I am still waiting to be paid {amount}.',
      'I want to complain – my fees for {period} are unpaid and your accounts line never answers.',
    ],
    shorts: ['Complaint: still unpaid, {amount}. Pay the bill.'],
  },
  {
    id: 'ambiguous/purchase-tax-receipt', label: 'invoice', voice: 'system', why: 'refers to a purchase but carries no delivery status, only the tax document (step 4)',
    subjects: ['Tax invoice for order {order}', 'VAT invoice available'],
    opens: [
      'The VAT invoice for your order {order} is now available to download.',
      'As requested, here is the tax invoice for your purchase of the {product} ({amount}).',
    ],
    shorts: ['Tax invoice for order {order} attached.'],
  },
  {
    id: 'ambiguous/reissue-address', label: 'invoice', voice: 'person', why: 'asks for a billing document to be changed with no fault reported: neutral billing admin (step 4)',
    subjects: ['Invoice address change', 'Please reissue'],
    opens: [
      'Could you reissue the last invoice with our new company name? Nothing wrong with it otherwise.',
      'Please add our PO number {po} to invoice {inv} and send it again so finance can pay it.',
    ],
    shorts: ['Please reissue {inv} with PO {po}, thanks.'],
  },
];
