// Everything around the body: greetings, small talk, sign-offs, signatures, disclaimers, quoted replies and
// forwards. None of it decides the label, which is why it must vary independently of the class.
import type { Voice } from './types';

export const GREETINGS: Record<Voice, string[]> = {
  person: ['Hi {first},', 'Hello {first},', 'Hey {first},', 'Dear {first},', 'Hi,', 'Hello,', 'Hi all,', 'Morning {first},', 'Good afternoon,', 'Dear {first} {last},', 'Hi team,', '{first},', 'Hallo {first},', 'Hola {first},', 'Dear Sir/Madam,', 'To whom it may concern,', 'Good day,', 'Greetings,', 'Dear Mr. {last},', 'Dear Ms {last},', 'hi', 'Hiya,'],
  company: ['Dear {first},', 'Dear {first} {last},', 'Dear customer,', 'Hello {first},', 'Hi {first},', 'Dear Sir or Madam,', 'Dear valued customer,', 'Good morning,', 'Hello,', 'Dear Mr. {last},', 'Dear Ms {last},', 'Dear {client} team,'],
  system: ['Hi {first},', 'Hello {first},', 'Dear customer,', 'Hi there,', 'Hello,', 'Dear {first} {last},', ''],
  scammer: ['Dear friend,', 'Dear Beneficiary,', 'Dear customer,', 'Hello dear,', 'Attention:', 'Dear user,', 'Hi,', 'Hello,', 'Dear Sir/Madam,', 'Greetings of the day,', 'Dear {first},', 'Valued member,', 'ATTN: account holder', 'Hi {first},'],
};

/** Small talk before the point, in several registers. */
export const CHATTY_OPENERS = [
  'Hope you’re well.', 'Hope you had a good weekend!', 'Sorry to bother you again.', 'Quick one from me.', 'Happy Friday!', 'I hope this email finds you well.',
  'Thanks for your quick reply yesterday.', 'Long time no speak!', 'Hope the move went well.', 'Apologies for the late reply, it’s been a crazy week.',
  'Thanks for getting back to me.', 'Greetings from {city}!', 'I hope you and your family are doing good.', 'Following up on our call this morning.',
  'Trust you are doing well.', 'Good to meet you at the fair last week.', 'Just back from holiday so catching up.', 'As promised on the phone:',
];
export const CHATTY_CLOSERS: Record<'person' | 'company', string[]> = {
  person: [
    'Have a great day!', 'Thanks a million!', 'Speak soon.', 'Have a lovely weekend :)', 'Much appreciated.', 'Any questions, just shout.',
    'Looking forward to hearing from you.', 'Cheers for sorting this.', 'Hope that makes sense.', 'Thanks and regards.', 'Waiting for your kind reply.',
    'Enjoy the sunshine!', 'Thank you in advance for your cooperation.', 'Sorry for the long email!', 'Thanks so much 🙏',
  ],
  company: [
    'Thank you for your business.', 'Thank you for your patience.', 'We appreciate your prompt attention to this matter.', 'Please do not hesitate to contact us with any questions.',
    'Thank you for choosing {org}.', 'We look forward to working with you again.', 'Kind regards from all of us at {org}.',
  ],
};

/** Asides that say nothing about the class: what makes a real long mail long. */
export const ASIDES: Record<'person' | 'company', string[]> = {
  person: [
    'I’m out of the office from {date} to {date2}; {colleague} can help while I’m away.', 'We’ve just moved to a new system, so bear with us if things look different.',
    'It’s been a hectic month with the end of the financial year.', 'By the way, congratulations on the new office!', 'The kids are off school this week, so I’m working odd hours.',
    'On another note, are we still on for lunch on {weekday}?', 'I have copied {colleague} so they are in the loop.', 'Apologies if you have already received this from my colleague.',
    'I’m writing from my personal address as my work laptop is being repaired.', 'Please use this address from now on; the old one will be closed.',
    'I tried calling earlier but couldn’t get through.', 'Say hi to {colleague} from me.', 'We are still settling in after the move to {city}.',
    'Sorry for the delay, I was travelling last week.', 'I’m only in the office on Tuesdays and Thursdays at the moment.', 'Hope the weather is better where you are than here in {city}.',
    'My English is not perfect, sorry for any mistakes.', 'I am writing on behalf of my mother, who is the account holder.',
  ],
  company: [
    'Our offices will be closed on {date} for a public holiday.', 'We have recently updated our privacy policy.', 'Our phone lines are open Monday to Friday, 9am to 5pm.',
    'We are now part of the {client} group; nothing changes for you.', 'Remember that you can manage most things from your online account.', 'Your account manager is {sname}.',
    'We’re moving to a new address from {month}; details are on our website.', 'We are experiencing higher volumes than usual, so replies may take a little longer.',
    'Thank you for being with us for over {qty} years.', 'Please add this address to your contacts so our emails don’t end up in junk.',
  ],
};

export const SIGNOFFS: Record<Voice, string[]> = {
  person: ['Best regards,\n{sname}', 'Kind regards,\n{sfirst}', 'Thanks,\n{sfirst}', 'Cheers,\n{sfirst}', 'Best,\n{sfirst}', 'Regards,\n{sname}', 'Many thanks,\n{sname}', 'Thx\n{sfirst}', '– {sfirst}', '{sfirst}', 'BR, {sfirst}', 'Warm regards,\n{sname}', 'Sincerely,\n{sname}', 'Thanks & regards,\n{sname}', 'Br,\n{sfirst}', 'Grüße, {sfirst}', 'Saludos,\n{sfirst}', 'With thanks,\n{sname}', 'Yours faithfully,\n{sname}'],
  company: ['Kind regards,\n{sname}\n{org}', 'Best regards,\nThe {org} team', 'Thank you,\n{org} Customer Care', 'Regards,\n{sname}\n{stitle}, {org}', 'Sincerely,\n{org}', 'Many thanks,\n{sfirst} at {org}', 'The {org} team', 'Warm wishes,\n{sfirst}\n{org} Customer Service', 'Yours sincerely,\n{sname}\n{stitle}'],
  system: ['The {org} team', 'Thanks,\n{org}', '— {org}', 'This is an automated message, please do not reply.', 'Need help? Visit {url}.', '{org} · {city}', 'Do not reply to this email. Questions? {url}', ''],
  scammer: ['Regards,\n{sname}', 'Best regards,\nSecurity Team', 'Customer Service Department', 'Yours faithfully,\nBarrister {sname}', 'Thanks,\n{sfirst}', 'Account Services', '{brand} Support Team', 'Kind Regards\nMr. {sname}\nClaims Agent', 'Sincerely,\nThe Rewards Team', 'Best,\n{sname}\nBusiness Development Manager', ''],
};

/** Extra signature lines with titles, phone numbers and addresses. */
export const SIGNATURE_LINES: Record<'person' | 'company', string[]> = {
  person: [
    '{stitle}\n{sorg}\nTel: {phone}', '{stitle} | {sorg}\nM: {phone}', 'Phone: {phone}', 'Mobile {phone}', '{stitle}\nDirect: {phone} | {email}', 'T {phone}\nE {email}',
    '{sorg} · {qty}4 High Street · {city}', '{stitle}, {sorg}\nOffice: {phone} ext. {qty}2', 'Pronouns: she/her', '{sorg}\nWorking hours: Mon–Thu',
  ],
  company: [
    '{stitle}\n{org}\nTel: {phone}', '{stitle} | {org}\nM: {phone}\n{url}', 'Phone: {phone}', '{org} · {qty}4 High Street · {city}',
    '{stitle}\nDirect: {phone} | {email}', '{org}\nOpen Mon–Sat 9:00–18:00', '{stitle}, {org}\nOffice: {phone} ext. {qty}2',
  ],
};

export const DISCLAIMERS: Record<'person' | 'company', string[]> = {
  person: [
    'CONFIDENTIALITY NOTICE: This email and any attachments are intended solely for the addressee. If you received it in error, please notify the sender and delete it.',
    'Please consider the environment before printing this email.',
    'This message may contain confidential information. Any unauthorised use is prohibited.',
    'I work flexible hours; please don’t feel obliged to reply outside yours.',
    'Der Inhalt dieser E-Mail ist vertraulich. / The content of this email is confidential.',
  ],
  company: [
    'CONFIDENTIALITY NOTICE: This email and any attachments are intended solely for the addressee. If you received it in error, please notify the sender and delete it.',
    '{org} is registered in England and Wales, company no. {code}. Registered office: {city}.',
    'Our office will be closed on public holidays. For urgent matters call {phone}.',
    'You received this email because you have an account with us. Manage your preferences in your account.',
    'Please consider the environment before printing this email.',
    '{org} · Customer service: {phone} · Mon–Fri 9:00–17:00',
  ],
};

export const MOBILE_SIGNOFFS = ['Sent from my iPhone', 'Sent from my phone', 'Sent from Outlook for Android', 'Get Outlook for iOS', 'Sent from my Galaxy', 'Sent from Yahoo Mail on Android', 'Sent from my iPad', 'Excuse typos, sent from mobile'];

/** Reply headers in the styles of common mail clients (and a few languages). */
export const QUOTE_HEADERS = [
  'On {hdate} at {time}, {sname} <{email}> wrote:',
  'On {hdate}, {sname} wrote:',
  '-----Original Message-----\nFrom: {sname} <{email}>\nSent: {hdate} {time}\nTo: {first} {last}\nSubject: {subject}',
  'From: {sname}\nSent: {hdate}\nSubject: {subject}',
  '________________________________\nFrom: {sname} <{email}>\nSent: {hdate}\nSubject: {subject}',
  'Am {hdate} um {time} schrieb {sname} <{email}>:',
  'Le {hdate} à {time}, {sname} a écrit :',
  '{sname} <{email}> schrieb am {hdate}:',
];
export const FORWARD_HEADERS = [
  '---------- Forwarded message ---------\nFrom: {sname} <{email}>\nDate: {hdate}\nSubject: {subject}\nTo: {first} {last}',
  'Begin forwarded message:\n\nFrom: {sname}\nDate: {hdate} at {time}\nSubject: {subject}',
  '-------- Original Message --------\nSubject: {subject}\nDate: {hdate}\nFrom: {email}',
  '---------- Forwarded message ----------\nFrom: {email}\nSubject: {subject}',
];

/** A forward with no comment or only an "FYI" takes the forwarded content's label (the rule's one exception). */
export const FYI_NOTES = ['FYI', 'fyi', 'FYI, see below.', 'See below.', 'Forwarding for your records.', 'FYI – forwarding this.', 'For your information.', 'fwd', ''];

/** Comments on a forward whose purpose is the forwarded mail's purpose (so the label stays the forwarded class). */
export const FORWARD_NOTES: Record<'invoice' | 'order' | 'support', string[]> = {
  invoice: ['Can you pay this one please?', 'Please process for payment.', 'For approval and payment.', 'This needs paying by {date}.', 'Another bill for the pile, can you book it?', 'Please pay from the project budget.'],
  order: ['Our delivery is on its way, see below.', 'Shipping confirmation for the {product} below.', 'Booking confirmation for next week below.', 'Tracking details for the office order, FYI.', 'The {product} ships on {date}, see below.'],
  support: ['Can someone look into this customer’s problem?', 'Another one with the same bug, can you check?', 'Customer complaint below, please handle.', 'Passing this to the tech team – can you help?', 'Can you fix this for them?'],
};
