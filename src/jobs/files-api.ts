// files.*: a training file checked by the page's own importer (chat JSONL, CSV/TSV, JSON; the same errors with
// file name and line) and stored as examples, or refused whole with every problem listed.
import { importText } from '../data/import';
import type { Context } from './context';
import { TabtuneError } from './errors';
import { newId, seconds } from './ids';
import type { Deleted, FileObject, FilePurpose, FineTuningJob, ListPage } from './types';
import { TERMINAL_STATUSES } from './types';

/** A file's contents with its name, or (in Node) a path to read. */
export type FileInput = { name: string; text: string } | string;

export interface FilesApi {
  create(params: { file: FileInput; purpose: FilePurpose }): Promise<FileObject>;
  list(): Promise<ListPage<FileObject>>;
  retrieve(id: string): Promise<FileObject>;
  delete(id: string): Promise<Deleted>;
}

/** Every file a job reads when it starts. */
const jobFiles = (j: FineTuningJob): string[] => [j.training_file, j.validation_file ?? '', j.tabtune.test_file ?? '', j.tabtune.mix?.file ?? '', ...(j.tabtune.suite_files ?? []).map((s) => s.file)].filter(Boolean);

export function filesApi(ctx: Context): FilesApi {
  const retrieve = async (id: string) => {
    const f = await ctx.store.getFile(id);
    if (!f) throw new TabtuneError('file_not_found', `No file "${id}".`, 'file_id');
    return f;
  };
  return {
    async create({ file, purpose }) {
      if (purpose !== 'fine-tune' && purpose !== 'evals') throw new TabtuneError('invalid_purpose', `purpose must be "fine-tune" (a file to train on) or "evals" (a file only scored), not ${JSON.stringify(purpose)}.`, 'purpose');
      let name: string;
      let text: string;
      if (typeof file === 'string') {
        if (!ctx.readPath) throw new TabtuneError('invalid_input', 'A file path needs a file system; pass { name, text } here.', 'file');
        name = file;
        text = await ctx.readPath(file).catch((e: Error) => {
          throw new TabtuneError('file_not_found', `Cannot read ${file}: ${e.message}`, 'file');
        });
      } else if (file && typeof file.name === 'string' && typeof file.text === 'string') {
        ({ name, text } = file);
      } else throw new TabtuneError('invalid_input', 'file must be { name, text } or a path.', 'file');
      const res = importText(text, { file: name, evaluationOnly: purpose === 'evals' });
      if (res.refused) {
        const lines = res.errors.slice(0, 20).map((e) => `\n  ${e.file}:${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}`).join('');
        const more = res.errors.length > 20 ? `\n  … and ${res.errors.length - 20} more` : '';
        throw new TabtuneError('invalid_file', `${name}: ${res.refused}${lines}${more}`, 'file', res.errors);
      }
      const labels: Record<string, number> = {};
      for (const e of res.examples) labels[e.label] = (labels[e.label] ?? 0) + 1;
      const obj: FileObject = {
        id: newId('file'),
        object: 'file',
        bytes: new TextEncoder().encode(text).length,
        created_at: seconds(),
        filename: name.split(/[\\/]/).pop() ?? name,
        purpose,
        status: 'processed',
        tabtune: { format: res.format, examples: res.examples.length, labels },
      };
      await ctx.store.putFile(obj, res.examples.map(({ text, label }) => ({ text, label })));
      return obj;
    },
    async list() {
      return { object: 'list', data: await ctx.store.listFiles(), has_more: false };
    },
    retrieve,
    async delete(id) {
      await retrieve(id);
      return ctx.serial.run(async () => {
        // A job still to run reads its files when it starts: deleting one under it would fail the job later.
        const user = (await ctx.store.listJobs()).find((j) => !TERMINAL_STATUSES.includes(j.status) && jobFiles(j).includes(id));
        if (user) throw new TabtuneError('invalid_state', `File ${id} is used by job ${user.id} (${user.status}); cancel the job or wait for it to finish first.`, 'file_id');
        await ctx.store.deleteFile(id);
        return { id, object: 'file', deleted: true } as const;
      });
    },
  };
}
