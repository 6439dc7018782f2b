// The user's forgetting limit (embedding drift), kept in this browser; src/guards/forgetting.ts has the default.
import { DEFAULT_DRIFT_LIMIT } from '../guards/forgetting';

export const DRIFT_KEY = 'tabtune.forgettingLimit';

export function driftLimit(): number {
  const v = Number(localStorage.getItem(DRIFT_KEY));
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_DRIFT_LIMIT;
}
