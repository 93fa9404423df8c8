// How many CPU-bound tasks kiln runs at once: $KILN_THREADS, else every core the process may use.
import { availableParallelism } from 'node:os';
import { UsageError } from './errors.js';

/** threadCount reads KILN_THREADS (a positive integer) and defaults to the cores available. */
export function threadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KILN_THREADS?.trim();
  if (!raw) return availableParallelism();
  if (!/^[1-9][0-9]{0,3}$/.test(raw)) throw new UsageError(`KILN_THREADS must be a positive integer, got "${raw}"`);
  return Number(raw);
}
