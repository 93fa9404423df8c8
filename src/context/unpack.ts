// unpackContext: a context's tar+gzip (already checked against its digest) -> a folder. The tar came from a
// registry, so nothing in it may land outside the folder: paths are normalised, only tree/ and cache/ are
// accepted, nothing is written through a symlink, and hard links point at files unpacked before them.
import { createWriteStream } from 'node:fs';
import { chmod, link, mkdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { errorMessage, IntegrityError, KilnError, UnsafePathError } from '../errors.js';
import { tempSibling } from '../places/blob-file.js';
import { normalizeEntryPath, parentDirectories, symlinkEscapes } from '../tar/entry.js';
import { CACHE, TREE } from './pack.js';

async function extractInto(dir: string, source: Readable, where: string): Promise<void> {
  const reader = extract();
  const symlinks = new Set<string>();
  const files = new Set<string>();
  // Folder modes are set last, deepest first: a read-only folder must still take its contents.
  const folders: Array<[string, number]> = [];
  const consume = async () => {
    for await (const entry of reader) {
      const { header } = entry;
      const path = normalizeEntryPath(header.name, `${where}: entry`);
      const top = path.split('/')[0];
      if (top !== TREE && top !== CACHE) throw new UnsafePathError(`${where}: entry "${header.name}" is outside ${TREE}/ and ${CACHE}/`);
      if ([...parentDirectories(path), path].some((ancestor) => symlinks.has(ancestor))) {
        throw new UnsafePathError(`${where}: entry "${path}" would be written through a symlink`);
      }
      const target = join(dir, path);
      const mode = (header.mode ?? 0o644) & 0o7777;
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        folders.push([target, mode]);
      } else if (header.type === 'file') {
        await mkdir(join(target, '..'), { recursive: true });
        await pipeline(entry, createWriteStream(target, { flags: 'wx' }));
        await chmod(target, mode);
        files.add(path);
        continue;
      } else if (header.type === 'symlink') {
        const linkTarget = header.linkname ?? '';
        if (posix.isAbsolute(linkTarget) || symlinkEscapes(path, linkTarget)) throw new UnsafePathError(`${where}: symlink "${path}" -> "${linkTarget}" leaves the context`);
        await mkdir(join(target, '..'), { recursive: true });
        await symlink(linkTarget, target);
        symlinks.add(path);
      } else if (header.type === 'link') {
        const linkTarget = normalizeEntryPath(header.linkname ?? '', `${where}: hard link`);
        if (!files.has(linkTarget)) throw new UnsafePathError(`${where}: hard link "${path}" -> "${linkTarget}" names no file unpacked before it`);
        await mkdir(join(target, '..'), { recursive: true });
        await link(join(dir, linkTarget), target);
      } else {
        throw new UnsafePathError(`${where}: entry "${path}" is a ${header.type}, which a context never holds`);
      }
      entry.resume();
    }
  };
  try {
    await Promise.all([pipeline(source, createGunzip(), reader), consume()]);
  } catch (error) {
    reader.destroy();
    if (error instanceof KilnError) throw error;
    throw new IntegrityError(`${where}: cannot unpack the files: ${errorMessage(error)}`, { cause: error });
  }
  for (const [folder, mode] of folders.reverse()) await chmod(folder, mode);
}

/**
 * unpackContext unpacks a context's files into `dir` once: into a temp sibling first, renamed into place, so a
 * folder that exists is complete (the digest in its name says what it holds) and two processes can race safely.
 */
export async function unpackContext(dir: string, open: () => Promise<Readable>, where: string): Promise<void> {
  if (await stat(dir).then(() => true, () => false)) return;
  await mkdir(join(dir, '..'), { recursive: true });
  const temp = tempSibling(dir);
  try {
    await mkdir(temp);
    await extractInto(temp, await open(), where);
    await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process unpacked the same digest first: its copy is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
  }
}
