// Content-addressed blob cache: blobs are written to a temp file, checked, then renamed into place,
// so a reader never sees a partial blob and two kiln processes can share one cache.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestAlgorithm, digestHex, HashingStream, sha256, verifyDigest, type Digest } from '../oci/digest.js';
import { InputError } from '../errors.js';
import { defaultCacheDir, readMemo } from './memo.js';
import { sweepStaleTemps } from '../places/stale-temps.js';

export { defaultCacheDir };

/** BlobInfo is what a write learned about a blob. */
export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** CACHE_TEMP_QUIET_MS: a dead writer's temp in the cache goes once unchanged this long (a cache may be shared by hosts). */
export const CACHE_TEMP_QUIET_MS = 10 * 60 * 1000;

/** cacheTempOwner is the pid in a name tempPath made (`<pid>-<16 hex>`). */
export function cacheTempOwner(name: string): number | undefined {
  const match = /^(\d+)-[0-9a-f]{16}$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

// Cache temp folders swept by this process, each once.
const swept = new Map<string, Promise<unknown>>();

/** BlobStore keeps blobs by digest under `root/blobs/<alg>/<hex>` and small JSON memos under `root/memo`. */
export class BlobStore {
  constructor(readonly root: string) {}

  /** path is where a blob with this digest lives (whether or not it is there yet). */
  path(digest: Digest): string {
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  /** has tells whether the blob is present (its content was checked when it was written). */
  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** open streams a stored blob. */
  async open(digest: Digest): Promise<Readable> {
    if (!(await this.has(digest))) throw new InputError(`blob ${digest} is not in the cache at ${this.root}`);
    return createReadStream(this.path(digest));
  }

  /** read returns a stored blob's bytes. */
  async read(digest: Digest): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /**
   * tempPath returns a fresh path on the same filesystem as the blobs, for atomic renames. The first call in a
   * process removes what killed kiln processes left there (a build stopped by Ctrl-C leaves its scratch files).
   */
  async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    if (!swept.has(dir)) swept.set(dir, sweepStaleTemps(dir, { owner: cacheTempOwner, quietMs: CACHE_TEMP_QUIET_MS }));
    await swept.get(dir);
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * write stores a stream. With `expected`, a mismatch throws and nothing is stored.
   * `what` names the content in errors.
   */
  async write(source: Readable, expected?: Partial<BlobInfo>, what = 'blob'): Promise<BlobInfo> {
    const temp = await this.tempPath();
    const hasher = new HashingStream(expected?.digest ? digestAlgorithm(expected.digest) : 'sha256');
    try {
      await pipeline(source, hasher, createWriteStream(temp));
      const info = { digest: hasher.digest(), size: hasher.bytes };
      if (expected?.digest) verifyDigest(what, expected.digest, info.digest, expected.size, info.size);
      await this.commit(temp, info.digest);
      return info;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** writeBuffer stores bytes already in memory. */
  async writeBuffer(data: Buffer, expected?: Partial<BlobInfo>, what = 'blob'): Promise<BlobInfo> {
    const digest = expected?.digest && digestAlgorithm(expected.digest) !== 'sha256'
      ? expected.digest
      : sha256(data);
    if (expected?.digest) verifyDigest(what, expected.digest, digest, expected.size, data.length);
    if (!(await this.has(digest))) {
      const temp = await this.tempPath();
      try {
        await writeFile(temp, data);
        await this.commit(temp, digest);
      } finally {
        await rm(temp, { force: true });
      }
    }
    return { digest, size: data.length };
  }

  /** commit moves a fully written and checked temp file into place under its digest. */
  async commit(tempFile: string, digest: Digest): Promise<void> {
    const target = this.path(digest);
    // Already stored (content-addressed: the same bytes), as writeBuffer checks first: no flush to disk for a copy
    // the caller throws away (a docker-archive read back holds mostly layers kiln stored before).
    if (await this.has(digest)) return;
    await mkdir(join(target, '..'), { recursive: true });
    const handle = await open(tempFile, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempFile, target);
  }

  /** getMemo reads a small JSON record (e.g. "this tar's diffId compresses to that blob"). */
  getMemo<T>(kind: string, key: string): Promise<T | undefined> {
    return readMemo<T>(this.root, kind, key);
  }

  /** setMemo writes a memo atomically. */
  async setMemo(kind: string, key: string, value: unknown): Promise<void> {
    const dir = join(this.root, 'memo', kind);
    await mkdir(dir, { recursive: true });
    const temp = await this.tempPath();
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, join(dir, key));
  }
}
