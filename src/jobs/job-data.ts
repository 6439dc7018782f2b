// A job's files turned into the splits a run trains and is scored on. Without a validation file the training
// file is split as the page splits a dataset (pinned, seed 0: 80/10/10); with one, the whole training file
// trains and the validation file is both the per-epoch validation and the before/after test set, unless a test
// file is given too (the page gives all three: its own pinned splits).
import type { DataSplits, EvalSuiteData, Example } from '../domain';
import { splitDataset } from '../data/split';
import { mixIn } from '../data/mix';
import type { Context } from './context';
import type { FineTuningJob, JobError } from './types';

const strip = (xs: Example[]): Example[] => xs.map(({ text, label }) => ({ text, label }));

export type JobData = { ok: true; data: DataSplits; suites: EvalSuiteData[] } | { ok: false; error: JobError };

const missing = (id: string, what: string, param: string): JobData => ({ ok: false, error: { code: 'file_not_found', message: `The ${what} ${id} is no longer stored.`, param } });

/** Labels a scoring file has that the training file lacks: the model could never predict them. */
function unknownLabels(examples: Example[], labels: string[], what: string, param: string): JobData | null {
  const unknown = [...new Set(examples.map((e) => e.label))].filter((l) => !labels.includes(l));
  if (!unknown.length) return null;
  const them = unknown.length > 1 ? 'them' : 'it';
  return {
    ok: false,
    error: {
      code: 'invalid_validation_file',
      message: `The ${what} has label${unknown.length > 1 ? 's' : ''} the training file lacks (${unknown.map((l) => JSON.stringify(l)).join(', ')}); the model could never predict ${them}. Add examples of ${them} to the training file or remove ${them} from the ${what}.`,
      param,
    },
  };
}

export async function loadJobData(ctx: Context, job: FineTuningJob): Promise<JobData> {
  const train = await ctx.store.getFileExamples(job.training_file);
  if (!train) return missing(job.training_file, 'training file', 'training_file');
  const labels = [...new Set(train.map((e) => e.label))].sort();
  const suites: EvalSuiteData[] = [];
  for (const [i, s] of (job.tabtune.suite_files ?? []).entries()) {
    const examples = await ctx.store.getFileExamples(s.file);
    if (!examples) return missing(s.file, `suite file "${s.name}"`, `tabtune.suites[${i}].file`);
    // Suites may hold labels the training file lacks: they count as wrong, which is what a suite should show.
    suites.push({ id: s.id ?? s.file, name: s.name, examples: strip(examples) });
  }
  let mixed: (examples: Example[]) => Example[] = (xs) => xs;
  if (job.tabtune.mix) {
    const { file, share } = job.tabtune.mix;
    const earlier = await ctx.store.getFileExamples(file);
    if (!earlier) return missing(file, 'file to mix in', 'tabtune.mix.file');
    // The earlier file's own training split, as the page mixes an earlier dataset version's training split in.
    const earlierTrain = strip(splitDataset(earlier, { seed: 0 }).train);
    mixed = (xs) => mixIn(xs, earlierTrain, labels, share, job.tabtune.config.seed).train;
  }
  if (!job.validation_file) {
    const split = splitDataset(train, { seed: 0 });
    return { ok: true, data: { labels, train: mixed(strip(split.train)), validation: strip(split.validation), test: strip(split.test) }, suites };
  }
  const validation = await ctx.store.getFileExamples(job.validation_file);
  if (!validation) return missing(job.validation_file, 'validation file', 'validation_file');
  const badValidation = unknownLabels(validation, labels, 'validation file', 'validation_file');
  if (badValidation) return badValidation;
  let test = validation;
  if (job.tabtune.test_file) {
    const stored = await ctx.store.getFileExamples(job.tabtune.test_file);
    if (!stored) return missing(job.tabtune.test_file, 'test file', 'tabtune.test_file');
    const badTest = unknownLabels(stored, labels, 'test file', 'tabtune.test_file');
    if (badTest) return badTest;
    test = stored;
  }
  return { ok: true, data: { labels, train: mixed(strip(train)), validation: strip(validation), test: strip(test) }, suites };
}
