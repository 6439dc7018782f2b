// A job's files turned into the splits a run trains and is scored on. Without a validation file the training
// file is split as the page splits a dataset (pinned, seed 0: 80/10/10); with one, the whole training file
// trains and the validation file is both the per-epoch validation and the before/after test set.
import type { DataSplits, Example } from '../domain';
import { splitDataset } from '../data/split';
import type { Context } from './context';
import type { FineTuningJob, JobError } from './types';

const strip = (xs: Example[]): Example[] => xs.map(({ text, label }) => ({ text, label }));

export type JobData = { ok: true; data: DataSplits } | { ok: false; error: JobError };

export async function loadJobData(ctx: Context, job: FineTuningJob): Promise<JobData> {
  const train = await ctx.store.getFileExamples(job.training_file);
  if (!train) return { ok: false, error: { code: 'file_not_found', message: `The training file ${job.training_file} is no longer stored.`, param: 'training_file' } };
  const labels = [...new Set(train.map((e) => e.label))].sort();
  if (!job.validation_file) {
    const split = splitDataset(train, { seed: 0 });
    return { ok: true, data: { labels, train: strip(split.train), validation: strip(split.validation), test: strip(split.test) } };
  }
  const validation = await ctx.store.getFileExamples(job.validation_file);
  if (!validation) return { ok: false, error: { code: 'file_not_found', message: `The validation file ${job.validation_file} is no longer stored.`, param: 'validation_file' } };
  const unknown = [...new Set(validation.map((e) => e.label))].filter((l) => !labels.includes(l));
  if (unknown.length) {
    return {
      ok: false,
      error: {
        code: 'invalid_validation_file',
        message: `The validation file has label${unknown.length > 1 ? 's' : ''} the training file lacks (${unknown.map((l) => JSON.stringify(l)).join(', ')}); the model could never predict ${unknown.length > 1 ? 'them' : 'it'}. Add examples of ${unknown.length > 1 ? 'them' : 'it'} to the training file or remove ${unknown.length > 1 ? 'them' : 'it'} from the validation file.`,
        param: 'validation_file',
      },
    };
  }
  return { ok: true, data: { labels, train: strip(train), validation: strip(validation), test: strip(validation) } };
}
