// One error type for every refusal of the jobs API: a stable `code` to branch on, a message a person can act on,
// and the parameter at fault, as the hosted API's error objects carry them.
import type { ImportError } from '../data/import';

export type ErrorCode =
  | 'invalid_purpose'
  | 'invalid_file'
  | 'file_not_found'
  | 'model_not_found'
  | 'model_not_deletable'
  | 'job_not_found'
  | 'invalid_hyperparameters'
  | 'invalid_method'
  | 'invalid_suffix'
  | 'invalid_seed'
  | 'idempotency_key_reused'
  | 'invalid_state'
  | 'missing_labels'
  | 'invalid_input';

export class TabtuneError extends Error {
  override readonly name = 'TabtuneError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    /** For invalid_file: every problem with its file, line and field, as the importer found them. */
    readonly errors: ImportError[] = [],
  ) {
    super(message);
  }
  toJSON() {
    return { error: { code: this.code, message: this.message, param: this.param, ...(this.errors.length ? { errors: this.errors } : {}) } };
  }
}
