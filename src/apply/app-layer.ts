// The app layer: a directory of the project copied to a path in the image, as `COPY src dest` would.
import { lstat, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '../errors.js';
import { directoryEntries } from '../layer/from-directory.js';
import { normalizeEntryPath, type TarEntry } from '../tar/entry.js';
import { parseDockerignore, type IgnoreMatcher } from './dockerignore.js';

/** AppSource is a directory and where its contents go in the image. */
export interface AppSource {
  /** dir is the host directory whose contents are copied. */
  dir: string;
  /** dest is the absolute path in the image. */
  dest: string;
}

async function loadIgnore(dir: string): Promise<IgnoreMatcher> {
  try {
    return parseDockerignore(await readFile(join(dir, '.dockerignore'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return () => false;
    throw error;
  }
}

/**
 * appEntries lists the files of `source.dir` as entries under `source.dest`: regular files keep their
 * permission bits, owners become root, mtimes come from the layer's epoch, symlinks are copied as links
 * and never followed, `.dockerignore` is honoured. A link or path that would leave the image root is refused.
 */
export async function appEntries(source: AppSource): Promise<TarEntry[]> {
  if (!posix.isAbsolute(source.dest)) throw new InputError(`app destination "${source.dest}" must be an absolute path`);
  const dest = normalizeEntryPath(source.dest, `app destination "${source.dest}"`);
  const rootStat = await lstat(source.dir).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new InputError(`app source ${source.dir} is not a directory`);
  const ignored = await loadIgnore(source.dir);
  const entries = await directoryEntries(source.dir, { prefix: dest, skip: ignored });
  return dest ? [{ path: dest, type: 'directory', mode: 0o755 }, ...entries] : entries;
}
