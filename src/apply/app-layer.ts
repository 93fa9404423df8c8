// The app layer: a directory of the project copied to a path in the image, as `COPY src dest` would.
import { lstat, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '../errors.js';
import { directoryEntries } from '../layer/from-directory.js';
import { normalizeEntryPath, type TarEntry } from '../tar/entry.js';
import { keepDirectories, NO_IGNORE, parseDockerignore, type DockerIgnore } from './dockerignore.js';

/** AppSource is a directory and where its contents go in the image. */
export interface AppSource {
  /** dir is the host directory whose contents are copied. */
  dir: string;
  /** dest is the absolute path in the image. */
  dest: string;
  /** exclude lists paths relative to `dir` (kiln's own outputs) left out with everything under them. */
  exclude?: string[];
}

/** loadDockerignore reads DIR/.dockerignore; none means nothing is left out. */
export async function loadDockerignore(dir: string): Promise<DockerIgnore> {
  try {
    return parseDockerignore(await readFile(join(dir, '.dockerignore'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NO_IGNORE;
    throw new InputError(`reading ${join(dir, '.dockerignore')}: ${(error as Error).message}`, { cause: error });
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
  const ignore = await loadDockerignore(source.dir);
  const exclude = source.exclude ?? [];
  const outputOfKiln = (path: string): boolean => exclude.some((out) => path === out || path.startsWith(`${out}/`));
  // An excluded directory is walked only when an exception names a path in it, as docker does.
  const skip = (path: string, isDirectory: boolean): boolean => outputOfKiln(path) || (ignore.excludes(path) && (!isDirectory || !ignore.descends(path)));
  let entries = await directoryEntries(source.dir, { prefix: dest, skip });
  // The folders holding kiln's outputs (out/ for out/demo.tar) go only for what else they hold: a first build
  // must not change the second one's app layer by creating them.
  const outputFolders = new Set(exclude.flatMap((path) => path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  if (ignore.hasExceptions || outputFolders.size) {
    const relative = (entry: TarEntry): string => (dest ? entry.path.slice(dest.length + 1) : entry.path);
    entries = keepDirectories(entries, relative, (entry) => entry.type === 'directory', ignore.excludes, (path) => outputFolders.has(path));
  }
  return dest ? [{ path: dest, type: 'directory', mode: 0o755 }, ...entries] : entries;
}
