// unpackSdist: a source distribution (.tar.gz, or an old .zip) into a folder, refusing members that would land
// outside it. Links and special files are skipped: a build needs regular files only.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { InputError, withContext } from '../../errors.js';
import { normalizeEntryPath } from '../../tar/entry.js';
import { ZipReader } from '../wheel/zip-read.js';

/** unpackSdist unpacks `path` (named `filename`) into `dest` and returns the project folder inside it. */
export async function unpackSdist(path: string, filename: string, dest: string): Promise<string> {
  await withContext(`sdist ${filename}`, async () => {
    if (filename.endsWith('.zip')) await unpackZip(path, filename, dest);
    else if (/\.tar\.gz$|\.tgz$/.test(filename)) await unpackTarGz(path, filename, dest);
    else throw new InputError(`sdist ${filename}: not a .tar.gz or .zip source distribution`);
  });
  // An sdist holds one folder, `<name>-<version>/`; a flat one is its own project folder.
  const top = await readdir(dest, { withFileTypes: true });
  return top.length === 1 && top[0]!.isDirectory() ? join(dest, top[0]!.name) : dest;
}

async function place(dest: string, raw: string, filename: string, data: Buffer, mode: number): Promise<void> {
  const path = normalizeEntryPath(raw, `sdist ${filename}`);
  if (!path) return;
  const target = join(dest, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, data, { mode: mode & 0o755 });
}

async function unpackTarGz(path: string, filename: string, dest: string): Promise<void> {
  const tar = extract();
  const done = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const { name, type, mode } = entry.header;
      if (type === 'directory') await mkdir(join(dest, normalizeEntryPath(name, `sdist ${filename}`)), { recursive: true });
      else if (type === 'file' || type === 'contiguous-file') await place(dest, name, filename, Buffer.concat(chunks), mode ?? 0o644);
    }
  })();
  await Promise.all([pipeline(createReadStream(path), createGunzip(), tar), done]);
}

async function unpackZip(path: string, filename: string, dest: string): Promise<void> {
  const zip = await ZipReader.open(path, `sdist ${filename}`);
  try {
    for (const entry of zip.entries) {
      if (entry.name.endsWith('/')) continue;
      const mode = entry.externalAttr >>> 16;
      if (mode !== 0 && (mode & 0o170000) !== 0o100000) continue;
      await place(dest, entry.name, filename, await zip.read(entry), mode || 0o644);
    }
  } finally {
    await zip.close();
  }
}
