// File digests with a stat fast path, as git's index does: a file whose size, mtime, ctime, inode and device are
// those recorded when it was hashed keeps its digest without being read again. A file modified in the same instant
// it was hashed ("racily clean" in git's words) could change again without its timestamps moving, so its digest is
// trusted only when its mtime and ctime are well before the moment it was hashed; otherwise it is read again.
import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { sha256, digestHex } from '../oci/digest.js';
import type { BlobStore } from './blob-store.js';
import { InputError } from '../errors.js';
import { lastChange, RACY_WINDOW_NS } from './racy.js';

interface Recorded {
  /** stat is size, mtime, ctime, inode and device, as decimal strings (nanoseconds). */
  stat: string;
  /** hashedAt is when the digest was computed (nanoseconds since the epoch), for the racy check. */
  hashedAt: string;
  sha256: string;
}

function statKey(info: BigIntStats): string {
  return [info.size, info.mtimeNs, info.ctimeNs, info.ino, info.dev].join(':');
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** fileSha256 hashes a file, naming `what` when it cannot be read. */
export async function fileSha256(path: string, what: string): Promise<string> {
  return hashFile(path).catch((error: unknown) => {
    throw new InputError(`${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  });
}

/** FileDigestStats counts how each digest was obtained, for tests and benchmarks. */
export interface FileDigestStats {
  hashed: number;
  trusted: number;
}

/**
 * FileDigests hashes the files of one tree (named by `scope`, e.g. an app folder's path), remembering each file's
 * stat and digest in the blob store's memos so that the next run reads only files that changed (or might have).
 */
export class FileDigests {
  readonly stats: FileDigestStats = { hashed: 0, trusted: 0 };
  private readonly next = new Map<string, Recorded>();
  private changed = false;

  private constructor(private readonly store: BlobStore | undefined, private readonly key: string, private readonly known: Map<string, Recorded>, private readonly clock: () => bigint) {}

  /**
   * open loads what the last run recorded for `scope`; without a store nothing is remembered. `clock` (nanoseconds
   * since the epoch) is for tests, which cannot wait out the racy window.
   */
  static async open(store: BlobStore | undefined, scope: string, clock: () => bigint = () => BigInt(Date.now()) * 1_000_000n): Promise<FileDigests> {
    const key = digestHex(sha256(`file-digests\0${scope}`));
    const memo = store ? await store.getMemo<Record<string, Recorded>>('file-digests', key) : undefined;
    return new FileDigests(store, key, new Map(Object.entries(memo ?? {})), clock);
  }

  /** sha256 returns the hex digest of the file at `path`, reading it only when its stat leaves any doubt. */
  async sha256(path: string): Promise<string> {
    const before = await lstat(path, { bigint: true });
    const recorded = this.known.get(path);
    if (recorded && recorded.stat === statKey(before) && trusted(before, BigInt(recorded.hashedAt)) && trusted(before, this.clock())) {
      this.stats.trusted++;
      this.next.set(path, recorded);
      return recorded.sha256;
    }
    const hashedAt = this.clock();
    const digest = await hashFile(path);
    this.stats.hashed++;
    const after = await lstat(path, { bigint: true });
    // A file that changed while being read is hashed again next time (its stat is not recorded as clean).
    if (statKey(after) === statKey(before)) this.next.set(path, { stat: statKey(after), hashedAt: String(hashedAt), sha256: digest });
    this.changed = true;
    return digest;
  }

  /** save records this run's digests (only the files asked about), if anything changed. */
  async save(): Promise<void> {
    if (!this.store) return;
    if (!this.changed && this.next.size === this.known.size) return;
    await this.store.setMemo('file-digests', this.key, Object.fromEntries(this.next));
  }
}

function trusted(info: BigIntStats, hashedAt: bigint): boolean {
  return lastChange(info) + RACY_WINDOW_NS < hashedAt;
}
