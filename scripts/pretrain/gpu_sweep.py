"""Pretraining candidates side by side on one NVIDIA GPU, in one command that ends inside a time budget.

A GPU machine here is lent for minutes and can download nothing, so the work travels as a payload that this
script packs from pretraining work folders (token streams as uint16, the contrastive pairs, SimCSE sentences and
the tokenizer, xz-compressed: about 40 MB), and comes back as one tar per candidate with its F16 weights and logs.

  pack   (here)            gpu_sweep.py pack --work tmp/pretrain [--stream NAME=WORK ...] --out gpu-pretrain
  run    (on the GPU)      gpu_sweep.py run --payload gpu-pretrain --out "$OUT" --mlm-minutes 4 --budget 420
  unpack (here, after)     gpu_sweep.py unpack --results DIR --into tmp/gpu-candidates

Each candidate runs pretrain.py (MLM, --minutes sets its step count from the measured speed) and then
contrastive.py, as its own process; the candidates share the GPU. The candidates are the CANDIDATES table below:
sizes that fit the model budget (weights <= 20 MB in F16; a 6x256 tar, 16.2 MB, is near the lease's 16 MiB a file),
batches, learning rates and corpora (pick them with --only); scripts/pretrain/trials/ says what each sweep found.
Whatever has not finished when the budget runs out is stopped, and what it has (the MLM checkpoint if the sentence
stage did not end) is still packed, so one lease always returns something measurable.
"""
import argparse
import io
import json
import lzma
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (stream, hidden, layers, heads, learning rate[, MLM batch; default --mlm-batch])
CANDIDATES = {
    # The first sweep (2026-11-26: four candidates sharing an H100 for 3.5 minutes of MLM each; a-256x4 shipped).
    'a-256x4': ('weighted', 256, 4, 4, 1e-3),
    'b-192x4': ('weighted', 192, 4, 4, 1e-3),
    'c-256x6': ('weighted', 256, 6, 4, 1e-3),
    'd-192x4-plain': ('plain', 192, 4, 4, 1e-3),
    # The second (2026-11-27): does more compute move the real-text checks? The shipped recipe run longer, the same
    # with twice the batch (more tokens per second on a GPU that small models leave idle), and six layers.
    'e-256x4-long': ('weighted', 256, 4, 4, 1e-3, 256),
    'f-256x4-b512': ('weighted', 256, 4, 4, 1.4e-3, 512),
    'g-256x6-b512': ('weighted', 256, 6, 4, 1e-3, 512),
    # The third (same day): f's recipe and step count on corpora with real mail in them (sources.py 'spamassassin',
    # weighted 4 and 10 beside CORPUS_WEIGHTS); packed from tmp/pretrain-mail4 with --stream mail4=... mail10=...
    'h-256x4-mail4': ('mail4', 256, 4, 4, 1.4e-3, 512),
    'i-256x4-mail10': ('mail10', 256, 4, 4, 1.4e-3, 512),
}
sys.path.insert(0, HERE)
from run_all import CONTRASTIVE_ARGS as SENTENCE_ARGS, PRETRAIN_ARGS as MLM_ARGS  # noqa: E402
SIMCSE_SENTENCES = 250_000


def xz(src: str, dst: str) -> None:
    with open(dst, 'wb') as out:
        subprocess.run(['xz', '-T0', '-6', '-c', src], check=True, stdout=out)


def pack(args) -> None:
    import random
    from contrastive import load_sentences
    os.makedirs(args.out, exist_ok=True)
    streams = dict(s.split('=', 1) for s in args.stream) if args.stream else {}
    if args.work not in streams.values():
        streams.setdefault('weighted', args.work)
    for name, work in streams.items():
        xz(os.path.join(work, 'train_ids.npy'), os.path.join(args.out, f'train_ids-{name}.npy.xz'))
    for f in ('heldout_ids.npy', 'vocab_size.txt'):
        shutil.copyfile(os.path.join(args.work, f), os.path.join(args.out, f))
    xz(os.path.join(args.work, 'pairs.tsv'), os.path.join(args.out, 'pairs.tsv.xz'))
    sentences = load_sentences(os.path.join(args.work, 'train.txt'), SIMCSE_SENTENCES, random.Random(0))
    with lzma.open(os.path.join(args.out, 'sentences.txt.xz'), 'wt') as f:
        f.write('\n'.join(sentences) + '\n')
    tok = os.path.join(args.out, 'tokenizer')
    os.makedirs(tok, exist_ok=True)
    for f in ('tokenizer.json', 'tokenizer_config.json', 'vocab.txt'):
        shutil.copyfile(os.path.join(args.work, 'tokenizer', f), os.path.join(tok, f))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f'payload {args.out}: {total / 1e6:.1f} MB, streams {sorted(streams)}')


def unxz(src: str, dst: str) -> None:
    with lzma.open(src, 'rb') as f, open(dst, 'wb') as g:
        shutil.copyfileobj(f, g, 1 << 22)


def gpu_facts() -> dict:
    facts = {}
    try:
        import torch
        facts['torch'] = torch.__version__
        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            facts.update(gpu=p.name, memory_gb=round(p.total_memory / 2 ** 30, 1), sms=p.multi_processor_count)
    except Exception as e:  # facts are for the record only
        facts['error'] = repr(e)
    try:
        facts['nvidia_smi'] = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version', '--format=csv,noheader'],
                                             capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e:
        facts['nvidia_smi'] = repr(e)
    return facts


def run(args) -> None:
    t0 = time.time()
    deadline = t0 + args.budget
    root = args.scratch
    os.makedirs(root, exist_ok=True)
    data = os.path.join(root, 'data')
    os.makedirs(data, exist_ok=True)
    for f in os.listdir(args.payload):
        src = os.path.join(args.payload, f)
        if f.endswith('.xz'):
            unxz(src, os.path.join(data, f[:-3]))
        elif os.path.isfile(src):
            shutil.copyfile(src, os.path.join(data, f))
    tok = os.path.join(args.payload, 'tokenizer')
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, 'sweep.log'), 'w')

    def say(msg: str) -> None:
        line = f'[{time.time() - t0:6.1f}s] {msg}'
        print(line, flush=True)
        log.write(line + '\n')
        log.flush()

    facts = gpu_facts()
    say(f'unpacked; {json.dumps(facts)}')
    names = args.only.split(',') if args.only else list(CANDIDATES)
    procs = {}
    for name in names:
        stream, hidden, layers, heads, lr, *own_batch = CANDIDATES[name]
        batch = own_batch[0] if own_batch else args.mlm_batch
        work = os.path.join(root, name)
        os.makedirs(work, exist_ok=True)
        links = {'train_ids.npy': f'train_ids-{stream}.npy', 'heldout_ids.npy': 'heldout_ids.npy',
                 'vocab_size.txt': 'vocab_size.txt', 'pairs.tsv': 'pairs.tsv'}
        for dst, src in links.items():
            if not os.path.exists(os.path.join(work, dst)):
                os.symlink(os.path.join(data, src), os.path.join(work, dst))
        py = sys.executable
        device = ['--device', args.device, '--threads', str(args.threads)]
        mlm = [py, os.path.join(HERE, 'pretrain.py'), '--work', work, '--hidden', str(hidden), '--layers',
               str(layers), '--heads', str(heads), '--lr', str(lr), *MLM_ARGS, *device, '--resume',
               *(['--steps', str(args.mlm_steps)] if args.mlm_steps else ['--minutes', str(args.mlm_minutes)])]
        sentence = [py, os.path.join(HERE, 'contrastive.py'), '--work', work, '--model-dir', tok, '--sentences',
                    os.path.join(data, 'sentences.txt'), '--workers', str(args.threads), *SENTENCE_ARGS, *device,
                    '--resume']
        mlm[mlm.index('--batch') + 1] = str(batch)
        if args.sentence_steps:
            sentence[sentence.index('--steps') + 1] = str(args.sentence_steps)
        # A run repeated on a warm machine goes on from what its work folder holds.
        script = (f'{{ [ -f {work}/checkpoint.pt ] || {" ".join(mlm)}; }} && '
                  f'{{ [ -f {work}/checkpoint-sentence.pt ] || {" ".join(sentence)}; }}')
        with open(os.path.join(work, 'commands.txt'), 'w') as f:
            f.write(script + '\n')
        out = open(os.path.join(work, 'train.log'), 'w')
        procs[name] = subprocess.Popen(['bash', '-c', script], stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, env={**os.environ, 'PYTHONUNBUFFERED': '1'})
        say(f'started {name}: {stream} corpus, hidden {hidden}, layers {layers}, lr {lr}, '
            f'batch {batch}')
    while procs and time.time() < deadline:
        for name, p in list(procs.items()):
            if p.poll() is not None:
                say(f'{name} ended with exit code {p.returncode}')
                del procs[name]
        time.sleep(2)
    for name, p in procs.items():
        say(f'{name} stopped at the budget')
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs.values():
        p.wait()
    for name in names:
        work = os.path.join(root, name)
        beside = len(names) - 1
        with open(os.path.join(work, 'gpu.json'), 'w') as f:
            json.dump({**facts, 'beside': f'{beside} other candidate{"s" if beside != 1 else ""} sharing the GPU'
                       if beside else 'alone on the GPU'}, f, indent=1)
        pack_result(work, os.path.join(args.out, f'{name}.tar'), say)
    say('done')


def pack_result(work: str, dst: str, say) -> None:
    """F16 weights (the shipped precision; F32 would not fit the lease's 16 MB a file) and every record."""
    import torch
    chosen = None
    for ck in ('checkpoint-sentence.pt', 'checkpoint.pt'):
        if os.path.exists(os.path.join(work, ck)):
            chosen = ck
            break
    with tarfile.open(dst, 'w') as tar:
        if chosen:
            c = torch.load(os.path.join(work, chosen), map_location='cpu', weights_only=False)
            c['model'] = {k: v.half() for k, v in c['model'].items()}
            c['stage'] = chosen
            buf = io.BytesIO()
            torch.save(c, buf)
            info = tarfile.TarInfo('checkpoint-f16.pt')
            info.size = buf.tell()
            buf.seek(0)
            tar.addfile(info, buf)
        for f in ('metrics.json', 'contrastive.json', 'gpu.json', 'train.log', 'commands.txt'):
            if os.path.exists(os.path.join(work, f)):
                tar.add(os.path.join(work, f), arcname=f)
    say(f'packed {os.path.basename(dst)}: {chosen or "no checkpoint"}, {os.path.getsize(dst) / 1e6:.1f} MB')


def unpack(args) -> None:
    """Each candidate's tar into <into>/<name>/, with the F16 weights as an F32 checkpoint.pt that export.py and
    the probes read."""
    import torch
    for f in sorted(os.listdir(args.results)):
        if not f.endswith('.tar'):
            continue
        dst = os.path.join(args.into, f[:-4])
        os.makedirs(dst, exist_ok=True)
        with tarfile.open(os.path.join(args.results, f)) as tar:
            tar.extractall(dst)
        ck_path = os.path.join(dst, 'checkpoint-f16.pt')
        if os.path.exists(ck_path):
            c = torch.load(ck_path, map_location='cpu', weights_only=False)
            c['model'] = {k: v.float() for k, v in c['model'].items()}
            name = 'checkpoint-sentence.pt' if c.get('stage') == 'checkpoint-sentence.pt' else 'checkpoint.pt'
            torch.save(c, os.path.join(dst, name))
        print('unpacked', dst, sorted(os.listdir(dst)))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('pack')
    p.add_argument('--work', required=True, help='a pretraining work folder (tokenised, with pairs.tsv and train.txt)')
    p.add_argument('--stream', action='append', help='NAME=WORK: another token stream (same tokenizer) to carry')
    p.add_argument('--out', required=True)
    r = sub.add_parser('run')
    r.add_argument('--payload', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--scratch', default='/tmp/tabtune-sweep')
    r.add_argument('--device', default='cuda')
    r.add_argument('--mlm-minutes', type=float, default=4.0, help='MLM time budget; the step count follows from it')
    r.add_argument('--mlm-steps', type=int, default=0, help='a fixed MLM step count instead (to repeat a run)')
    r.add_argument('--sentence-steps', type=int, default=0, help='0: SENTENCE_ARGS\'s')
    r.add_argument('--mlm-batch', type=int, default=256)
    r.add_argument('--budget', type=float, default=420, help='seconds; whatever runs after it is stopped')
    r.add_argument('--threads', type=int, default=3)
    r.add_argument('--only', default='', help='comma-separated candidate names (default: all)')
    u = sub.add_parser('unpack')
    u.add_argument('--results', required=True)
    u.add_argument('--into', required=True)
    args = ap.parse_args()
    {'pack': pack, 'run': run, 'unpack': unpack}[args.cmd](args)


if __name__ == '__main__':
    main()
