// The pretraining corpus's mail reader (scripts/pretrain/sources.py mail_text): what it keeps of an e-mail decides
// what the model reads as mail, so its cuts are checked on messages written here, through Debian's Python.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

function mailText(raw: string): string {
  const code = 'import sys, sources; sys.stdout.write(sources.mail_text(sys.stdin.buffer.read()))';
  const r = spawnSync('/usr/bin/python3', ['-c', code], { cwd: 'scripts/pretrain', input: raw, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

it('keeps the subject and what the sender wrote, not the quoted mail, the signature or the list footer', () => {
  const raw = [
    'From: Alice <alice@example.com>',
    'Subject: Re: [users] Fwd: Your invoice',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Hi Bob,',
    'On Monday, Bob Smith wrote:',
    '> Please send the invoice again.',
    '> Thanks',
    'Paid at http://www.pay.example.com/x?id=1 =E2=80=94 receipt from billing@acme.co.uk.',
    '-- ',
    'Alice, Accounts',
    '',
  ].join('\n');
  expect(mailText(raw)).toBe('Your invoice\nHi Bob,\nPaid at pay.example.com \u2014 receipt from acme.co.uk.');
});

it('reads the prose of an HTML-only message and cuts at a mailing-list footer', () => {
  const raw = [
    'Subject: Deal of the week',
    'Content-Type: text/html',
    '',
    '<html><head><style>p { color: red }</style></head><body><p>Buy <b>now</b> at https://shop.example.org/a</p>',
    '<p>Offer ends Friday</p><p>______________________________</p><p>users mailing list</p></body></html>',
    '',
  ].join('\n');
  expect(mailText(raw)).toBe('Deal of the week\nBuy now at shop.example.org\nOffer ends Friday');
});

it('gives nothing for a message without a text part', () => {
  const raw = ['Subject: photo', 'Content-Type: image/png', 'Content-Transfer-Encoding: base64', '', 'iVBORw0KGgo=', ''].join('\n');
  expect(mailText(raw)).toBe('');
});
