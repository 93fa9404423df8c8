// SOURCE_DATE_EPOCH: the one timestamp of a reproducible build (kept apart from the tar writer, which planning never needs).
import { InputError } from '../errors.js';

/** DEFAULT_SOURCE_DATE_EPOCH is 1980-01-01: the earliest time ZIP (and so Python's zipimport and wheels) can store. */
export const DEFAULT_SOURCE_DATE_EPOCH = 315532800;

/** sourceDateEpoch reads $SOURCE_DATE_EPOCH (reproducible-builds.org), else the fixed default. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return DEFAULT_SOURCE_DATE_EPOCH;
  if (!/^\d+$/.test(raw)) throw new InputError(`SOURCE_DATE_EPOCH must be a whole number of seconds, got "${raw}"`);
  return Number(raw);
}
