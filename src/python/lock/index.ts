// The lock registry: format names to readers, and detection of a project's lock from its folder.
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import type { LockFormat, PythonLock } from '../types.js';
import { poetry } from './poetry/index.js';
import { pylock } from './pylock/index.js';
import type { LockReader, ReadOptions } from './reader.js';
import { requirements } from './requirements/index.js';
import { uv } from './uv/index.js';

export type { LockReader, ReadOptions } from './reader.js';
export { selectPackages } from './select.js';

/** lockReaders maps every format name to its reader, in detection order (most specific lock first). */
export const lockReaders: Record<LockFormat, LockReader> = { pylock, uv, poetry, requirements };

/** detectLock finds the lock file in a project folder; several different formats there is an error. */
export async function detectLock(dir: string): Promise<{ path: string; reader: LockReader }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new InputError(`cannot list ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const found = Object.values(lockReaders).flatMap((reader) => {
    const name = reader.fileNames.find((candidate) => names.includes(candidate));
    return name ? [{ path: join(dir, name), reader }] : [];
  });
  if (found.length === 0) {
    const expected = Object.values(lockReaders).flatMap((reader) => reader.fileNames).join(', ');
    throw new InputError(`no Python lock in ${dir} (looked for ${expected})`);
  }
  if (found.length > 1) {
    throw new UsageError(`${dir} has several Python locks (${found.map((entry) => basename(entry.path)).join(', ')}); name the one to use`);
  }
  return found[0]!;
}

/** readLock reads a lock file, choosing its reader by format name or else by file name. */
export async function readLock(path: string, options: ReadOptions & { format?: LockFormat } = {}): Promise<PythonLock> {
  const reader = options.format ? lockReaders[options.format] : Object.values(lockReaders).find((candidate) => candidate.matches(basename(path)));
  if (!reader) throw new UsageError(`cannot tell the lock format of ${path}; name it (${Object.keys(lockReaders).join(', ')})`);
  return reader.read(path, options);
}
