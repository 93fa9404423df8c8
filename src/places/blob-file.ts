// Writing blobs to files in a destination: streamed, digest-checked, renamed into place.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
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

/** tempSibling is a fresh temp name next to `path`, so rename() stays on one filesystem. */
export function tempSibling(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** writeFileAtomic writes bytes to a temp file and renames it over `path`. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
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
  await mkdir(dirname(path), { recursive: true });
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
