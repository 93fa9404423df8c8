// Merged /usr: every image kiln assembles has bin, sbin and lib* as symlinks into usr/.
//
// Debian made merged /usr mandatory from bookworm on, but bookworm packages still ship files under
// /bin, /sbin, /lib and /lib64 (dpkg relies on the symlinks the installer made); trixie and Ubuntu noble
// ship nearly everything under /usr already. kiln therefore rewrites every package path whose first
// segment is bin, sbin, lib, lib32, lib64, libx32 or libo32 to usr/<that path>, and the image gets
// `bin -> usr/bin`, `sbin -> usr/sbin`, `lib -> usr/lib`, `lib64 -> usr/lib64` plus `<dir> -> usr/<dir>`
// for any other lib* directory a package shipped. So /lib64/ld-linux-x86-64.so.2 (shipped by libc6 as a
// symlink to /lib/x86_64-linux-gnu/...) resolves through two merged-usr symlinks into usr/lib.
// Relative symlinks that moved are re-aimed so they still reach the same (rewritten) target.
import { posix } from 'node:path';
import type { TarEntry } from '../tar/entry.js';

const ALIASED = /^(bin|sbin|lib|lib32|lib64|libx32|libo32)$/;

/** ALWAYS_MERGED are the top-level symlinks every image gets, whatever its packages ship. */
export const ALWAYS_MERGED = ['bin', 'sbin', 'lib', 'lib64'] as const;

/** aliasedTop returns the merged-usr directory a path starts with (`lib` for `lib/x/y`), if any. */
export function aliasedTop(path: string): string | undefined {
  const slash = path.indexOf('/');
  const top = slash < 0 ? path : path.slice(0, slash);
  return ALIASED.test(top) ? top : undefined;
}

/** mergedUsrPath maps a normalised path to where it lives on a merged-/usr system. */
export function mergedUsrPath(path: string): string {
  return aliasedTop(path) ? `usr/${path}` : path;
}

/** isMergedUsrLink tells whether an entry is itself one of the top-level merged-usr symlinks (trixie base-files ships them). */
export function isMergedUsrLink(entry: TarEntry): boolean {
  return entry.type === 'symlink' && aliasedTop(entry.path) === entry.path
    && posix.normalize(posix.join('/', entry.linkTarget ?? '')) === `/usr/${entry.path}`;
}

/** rewriteSymlinkTarget keeps a relative symlink pointing at the same place after its own path moved. */
export function rewriteSymlinkTarget(originalPath: string, newPath: string, target: string): string {
  if (target.startsWith('/') || originalPath === newPath) return target;
  const resolved = posix.normalize(posix.join('/', posix.dirname(originalPath), target)).slice(1);
  const canonical = '/' + mergedUsrPath(resolved);
  const relative = posix.relative(posix.join('/', posix.dirname(newPath)), canonical);
  return relative === '' ? '.' : relative;
}

/** mergedUsrSkeleton is the symlinks and usr/ directories for the given lib* dirs (plus the always-present ones). */
export function mergedUsrSkeleton(extra: Iterable<string>): TarEntry[] {
  const dirs = [...new Set<string>([...ALWAYS_MERGED, ...extra])].sort();
  const entries: TarEntry[] = [{ path: 'usr', type: 'directory', mode: 0o755 }];
  for (const dir of dirs) {
    entries.push({ path: dir, type: 'symlink', mode: 0o777, linkTarget: `usr/${dir}` });
    entries.push({ path: `usr/${dir}`, type: 'directory', mode: 0o755 });
  }
  return entries;
}
