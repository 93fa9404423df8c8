// Writing blobs to files in a destination: streamed, digest-checked, renamed into place.
import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, verifyDigest, type Digest } from '../oci/digest.js';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * ensureDir creates `dir` and its missing parents one level at a time, after checking that the nearest
 * existing ancestor is a writable directory. Node's recursive mkdir spins forever where the kernel
 * answers ENOENT for a parent that exists (under /proc), so it is not used for output paths.
 */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info) {
      if (!info.isDirectory()) throw Object.assign(new Error(`${current} is not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  if (missing.length === 0) return;
  await access(current, constants.W_OK);
  for (const path of missing) {
    await mkdir(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** tempSibling is a fresh temp name next to `path`, so rename() stays on one filesystem. */
export function tempSibling(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** writeFileAtomic writes bytes to a temp file and renames it over `path`. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  await ensureDir(dirname(path));
  const temp = tempSibling(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * writeBlobFile copies a blob into `path` unless a file is already there, checking the digest and
 * size on the way: a base whose blob does not match its manifest fails here, before anything is renamed.
 */
export async function writeBlobFile(path: string, open: () => Promise<Readable>, expected: { digest: Digest; size: number }, what: string): Promise<void> {
  if (await exists(path)) return;
  await ensureDir(dirname(path));
  const temp = tempSibling(path);
  const hasher = new HashingStream();
  try {
    await pipeline(await open(), hasher, createWriteStream(temp));
    verifyDigest(what, expected.digest, hasher.digest(), expected.size, hasher.bytes);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}
