// `npm run -s jobs -- <command> [...] [--store DIR]`: the jobs API on the command line, JSON on stdout.
// The store is a folder (default .tabtune/ here), so `create` in one shell and `events ID --follow` in another
// see the same jobs. Commands that train (create --wait, run, events --follow) run the queue in this process.
import { parseArgs } from 'node:util';
import { openTabtune, TabtuneError, DEFAULT_STORE_DIR, type HyperparametersInput, type JobCreateParams } from '../../src/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string', default: DEFAULT_STORE_DIR },
    'training-file': { type: 'string' },
    'validation-file': { type: 'string' },
    model: { type: 'string', default: 'tiny-bert' },
    method: { type: 'string' },
    'n-epochs': { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate-multiplier': { type: 'string' },
    suffix: { type: 'string' },
    seed: { type: 'string' },
    'idempotency-key': { type: 'string' },
    labels: { type: 'string' },
    follow: { type: 'boolean' },
    wait: { type: 'boolean' },
    backend: { type: 'string', default: 'wasm' },
    help: { type: 'boolean' },
  },
});

const USAGE = `usage: npm run -s jobs -- <command> [--store DIR (default ${DEFAULT_STORE_DIR})]
  files-create FILE                 upload a training file (chat JSONL, CSV/TSV, JSON)
  files-list | files-delete ID
  create --training-file FILE_ID|PATH [--validation-file ...] [--model tiny-bert] [--method lora|head|full]
         [--n-epochs N] [--batch-size N] [--learning-rate-multiplier X] [--suffix S] [--seed N] [--idempotency-key K] [--wait]
  list | retrieve ID | cancel ID | pause ID | resume ID | checkpoints ID
  events ID [--follow]              one JSON line per event; --follow runs the queue here until the job ends
  run                               run every queued job, then exit
  models | predict MODEL TEXT [--labels a,b]
`;

const [command, ...args] = positionals;
if (values.help || !command) {
  process.stderr.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const print = (x: unknown) => process.stdout.write(JSON.stringify(x, null, 2) + '\n');
// Only commands that wait for training run the queue: a `list` must not start training in passing.
const runs = command === 'run' || (command === 'events' && values.follow) || (command === 'create' && values.wait);
const tt = await openTabtune({ store: values.store, run: runs, backend: values.backend as 'wasm' | 'cpu' });
const jobs = tt.fineTuning.jobs;
const need = (i: number, what: string) => args[i] ?? (process.stderr.write(`jobs ${command}: missing ${what}\n${USAGE}`), process.exit(2));

/** A file id as is; a path is uploaded first (so `create --training-file data.jsonl` works in one step). */
async function fileId(v: string | undefined): Promise<string | undefined> {
  if (v === undefined || v.startsWith('file-')) return v;
  return (await tt.files.create({ file: v, purpose: 'fine-tune' })).id;
}

try {
  switch (command) {
    case 'files-create':
      print(await tt.files.create({ file: need(0, 'FILE'), purpose: 'fine-tune' }));
      break;
    case 'files-list':
      print(await tt.files.list());
      break;
    case 'files-delete':
      print(await tt.files.delete(need(0, 'ID')));
      break;
    case 'create': {
      const hyperparameters: HyperparametersInput = {};
      if (values['n-epochs'] !== undefined) hyperparameters.n_epochs = num(values['n-epochs']);
      if (values['batch-size'] !== undefined) hyperparameters.batch_size = num(values['batch-size']);
      if (values['learning-rate-multiplier'] !== undefined) hyperparameters.learning_rate_multiplier = num(values['learning-rate-multiplier']);
      const params: JobCreateParams = {
        training_file: (await fileId(values['training-file'])) ?? '',
        validation_file: await fileId(values['validation-file']),
        model: values.model!,
        hyperparameters,
        ...(values.method ? { method: { type: values.method as 'lora' } } : {}),
        ...(values.suffix ? { suffix: values.suffix } : {}),
        ...(values.seed !== undefined ? { seed: num(values.seed) } : {}),
        ...(values['idempotency-key'] ? { idempotency_key: values['idempotency-key'] } : {}),
      };
      const job = await jobs.create(params);
      print(values.wait ? await jobs.wait(job.id) : job);
      break;
    }
    case 'list':
      print(await jobs.list());
      break;
    case 'retrieve':
      print(await jobs.retrieve(need(0, 'ID')));
      break;
    case 'cancel':
    case 'pause':
    case 'resume':
      print(await jobs[command](need(0, 'ID')));
      break;
    case 'checkpoints':
      print(await jobs.checkpoints.list(need(0, 'ID')));
      break;
    case 'events':
      for await (const e of jobs.events(need(0, 'ID'), { follow: values.follow })) process.stdout.write(JSON.stringify(e) + '\n');
      break;
    case 'run':
      await tt.idle();
      print(await jobs.list());
      break;
    case 'models':
      print(await tt.models.list());
      break;
    case 'predict':
      print(await tt.predict({ model: need(0, 'MODEL'), input: need(1, 'TEXT'), labels: values.labels?.split(',') }));
      break;
    default:
      process.stderr.write(`jobs: unknown command "${command}"\n${USAGE}`);
      process.exitCode = 2;
  }
} catch (e) {
  if (!(e instanceof TabtuneError)) throw e;
  process.stderr.write(JSON.stringify(e.toJSON()) + '\n');
  process.exitCode = 1;
} finally {
  await tt.close();
}
