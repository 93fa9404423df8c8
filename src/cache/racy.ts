// The racy window of stat-based records (git's "racily clean" problem): a file changed within it may change again
// without its stat moving, so its record cannot be trusted yet. Apart from file-digests.ts, which hashes, so that
// the no-change replay loads no node:crypto.
import type { BigIntStats } from 'node:fs';

/** RACY_WINDOW_NS is how long before hashing a file must have last changed for its recorded digest to be trusted. */
export const RACY_WINDOW_NS = 2_000_000_000n;

/** lastChange is when a file last changed, content or inode (the later of mtime and ctime, in nanoseconds). */
export function lastChange(info: BigIntStats): bigint {
  return info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs;
}
