// directoryEntries: a host directory as layer entries. Symlinks are copied as links, never followed.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UnsafePathError } from '../errors.js';
import { symlinkEscapes, type TarEntry } from '../tar/entry.js';

/** DirectoryOptions tune how a directory becomes entries. */
export interface DirectoryOptions {
  /** prefix is the path in the image the directory's contents go under ('' for the root). */
  prefix: string;
  /** preserveOwners keeps uid/gid (importing a rootfs); otherwise everything is owned by root. */
  preserveOwners?: boolean;
  /** skip leaves out a relative path (and, for a directory, what is under it). */
  skip?: (relativePath: string, isDirectory: boolean) => boolean;
  /** skipSpecialFiles drops devices, fifos and sockets instead of failing (they cannot be in a layer kiln writes). */
  skipSpecialFiles?: boolean;
}

/** directoryEntries walks `dir` in sorted order and returns its entries under `options.prefix`. */
export async function directoryEntries(dir: string, options: DirectoryOptions): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const seenInodes = new Map<string, string>();
  const walk = async (relativeDir: string): Promise<void> => {
    const names = (await readdir(join(dir, relativeDir))).sort();
    for (const name of names) {
      const relative = relativeDir ? `${relativeDir}/${name}` : name;
      const hostPath = join(dir, relative);
      const stats = await lstat(hostPath);
      if (options.skip?.(relative, stats.isDirectory())) continue;
      const path = options.prefix ? `${options.prefix}/${relative}` : relative;
      const owners = options.preserveOwners ? { uid: stats.uid, gid: stats.gid } : {};
      const mode = stats.mode & 0o7777;
      if (stats.isDirectory()) {
        entries.push({ path, type: 'directory', mode, ...owners });
        await walk(relative);
      } else if (stats.isSymbolicLink()) {
        const target = await readlink(hostPath);
        if (symlinkEscapes(path, target)) throw new UnsafePathError(`${hostPath}: symlink to "${target}" would escape the image root`);
        entries.push({ path, type: 'symlink', mode: 0o777, linkTarget: target, ...owners });
      } else if (stats.isFile()) {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? seenInodes.get(inode) : undefined;
        if (first) {
          entries.push({ path, type: 'hardlink', mode, linkTarget: first, ...owners });
          continue;
        }
        if (stats.nlink > 1) seenInodes.set(inode, path);
        entries.push({ path, type: 'file', mode, size: stats.size, content: { kind: 'host-file', path: hostPath }, ...owners });
      } else if (!options.skipSpecialFiles) {
        throw new InputError(`${hostPath}: only files, directories and symlinks can go into an image`);
      }
    }
  };
  await walk('');
  return entries;
}
