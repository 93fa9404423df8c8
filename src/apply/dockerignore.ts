// .dockerignore as docker build reads it: @balena/dockerignore is a port of moby's pattern matcher (Go's
// filepath.Match per path part, `**`, `!` exceptions, last match wins, a pattern matching a parent directory
// excludes what is under it). What it leaves to the caller is the walk: docker descends into an excluded
// directory only when an exception names a path in it, and sends that directory only for what it keeps.
import { posix } from 'node:path';
import dockerignore from '@balena/dockerignore';

/** DockerIgnore answers, for a context-relative path (`/` separated), whether docker build leaves it out. */
export interface DockerIgnore {
  excludes(path: string): boolean;
  /**
   * descends tells whether docker still walks into an excluded directory: only when an exception pattern starts
   * with the directory's path (`!sub/keep.txt` for `sub`; `!**\/keep.txt` does not bring anything back from `sub`).
   */
  descends(dir: string): boolean;
  /** hasExceptions is true when the file has `!` patterns. */
  hasExceptions: boolean;
}

// A UTF-8 byte order mark at the start is not part of the first pattern (moby strips it too).
const BOM = '\uFEFF';

/** NO_IGNORE is a context without a .dockerignore. */
export const NO_IGNORE: DockerIgnore = { excludes: () => false, descends: () => false, hasExceptions: false };

/** parseDockerignore compiles the text of a .dockerignore file. */
export function parseDockerignore(text: string): DockerIgnore {
  const lines = (text.startsWith(BOM) ? text.slice(BOM.length) : text).split(/\r?\n/);
  // Docker on Linux compares case-sensitively; the library's default is to ignore case.
  // The package is CommonJS with `exports.default` set to itself: under NodeNext its type is that namespace.
  const matcher = dockerignore.default({ ignorecase: false }).add(lines);
  // The exception patterns as moby keeps them: a comment starts with "#"; other lines are trimmed, "!" taken off
  // and trimmed again, cleaned like Go's filepath.Clean, a leading "/" dropped.
  const exceptions = lines
    .filter((line) => !line.startsWith('#') && line.trim().startsWith('!'))
    .map((line) => posix.normalize(line.trim().slice(1).trim()).replace(/(.)\/$/, '$1').replace(/^\/(.)/, '$1'))
    .filter((pattern) => pattern !== '' && pattern !== '.');
  return {
    excludes: (path) => matcher.ignores(path),
    // moby's archive walk (and BuildKit's fsutil after it): an exception pattern with the directory as prefix.
    descends: (dir) => exceptions.some((pattern) => `${pattern}/`.startsWith(`${dir}/`)),
    hasExceptions: exceptions.length > 0,
  };
}

/**
 * keepDirectories keeps what docker sends of a walk that entered excluded directories for their exceptions: every
 * path not excluded, and an excluded directory only when something under it is kept. `pathOf` gives an item's
 * context-relative path; `onlyIfNeeded` marks more directories kept only for what they hold.
 */
export function keepDirectories<T>(
  items: T[], pathOf: (item: T) => string, isDirectory: (item: T) => boolean, excludes: (path: string) => boolean,
  onlyIfNeeded: (path: string) => boolean = () => false,
): T[] {
  const onItsOwn = (item: T): boolean => !excludes(pathOf(item)) && !(isDirectory(item) && onlyIfNeeded(pathOf(item)));
  const needed = new Set<string>();
  for (const item of items) {
    if (!onItsOwn(item)) continue;
    const path = pathOf(item);
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) needed.add(path.slice(0, slash));
  }
  return items.filter((item) => onItsOwn(item) || (isDirectory(item) && needed.has(pathOf(item))));
}
