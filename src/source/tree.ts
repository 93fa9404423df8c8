// Trees of a source: a clean synced tree in the cache (the pinned commit, sparse, with the series applied, no .git),
// keyed by what went into it; and a user's working tree (`kiln source checkout`) with one commit per patch.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { InputError } from '../errors.js';
import { ensureDir } from '../places/blob-file.js';
import { applySeries, describeConflict, type PatchOutcome } from './apply.js';
import { git } from './git.js';
import type { Mirror } from './mirror.js';
import { seriesDigest, type Patch } from './series.js';

/** sparsePatterns turns kiln.yaml `paths` (folders or files of the tree) into anchored non-cone patterns. */
function sparsePatterns(paths: string[]): string[] {
  return paths.map((path) => `/${path.replace(/^\/+/, '')}`);
}

/** checkoutCommit makes `dir` a git tree of `commit` from the mirror, sparse when `paths` are given. */
export async function checkoutCommit(mirror: Mirror, commit: string, paths: string[], dir: string, options: { shared: boolean }): Promise<void> {
  const context = `checking out ${commit.slice(0, 12)} of ${mirror.url}`;
  // --shared borrows the mirror's objects (a throwaway tree); a user's tree gets its own, so a cache clean-up cannot break it.
  await git(['clone', '--quiet', '--no-checkout', ...(options.shared ? ['--shared'] : []), '--', mirror.dir, dir], { context });
  if (paths.length) await git(['sparse-checkout', 'set', '--no-cone', ...sparsePatterns(paths)], { cwd: dir, context });
  await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit], { cwd: dir, context });
}

/** SyncedTree is a source's clean tree and how each patch of its series applied. */
export interface SyncedTree {
  dir: string;
  outcomes: PatchOutcome[];
}

/** treeKey names a synced tree by its commit, sparse paths and series. */
export function treeKey(commit: string, paths: string[], patches: Patch[]): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, commit, paths: [...paths].sort(), series: seriesDigest(patches) })).digest('hex').slice(0, 32);
}

/**
 * syncedTree returns the clean tree of `commit` with `patches` applied, made once per key and kept in the cache.
 * A patch that does not apply, even by a 3-way merge, fails in one line naming the patch, the file and the hunk.
 */
export async function syncedTree(store: BlobStore, mirror: Mirror, commit: string, paths: string[], patches: Patch[]): Promise<SyncedTree> {
  const key = treeKey(commit, paths, patches);
  const dir = join(store.root, 'sources', key);
  const known = await store.getMemo<PatchOutcome[]>('source-tree', key);
  if (known && existsSync(dir)) return { dir, outcomes: known };
  await ensureDir(join(store.root, 'sources'));
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await checkoutCommit(mirror, commit, paths, temp, { shared: true });
    const outcomes = await applySeries(temp, patches, { stopAtConflict: true });
    const conflict = outcomes.find((outcome) => outcome.status === 'conflict');
    if (conflict?.status === 'conflict') throw new InputError(`patch ${conflict.patch} does not apply to ${commit.slice(0, 12)}: ${describeConflict(conflict)}`);
    await rm(join(temp, '.git'), { recursive: true, force: true });
    if (paths.length && (await readdir(temp)).length === 0) throw new InputError(`paths ${paths.join(', ')} match nothing at ${commit.slice(0, 12)}`);
    // Another kiln may have made the same tree meanwhile: same key, same content, keep theirs.
    await rename(temp, dir).catch((error: unknown) => {
      if (!existsSync(dir)) throw error;
    });
    await store.setMemo('source-tree', key, outcomes);
    return { dir, outcomes };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** trySeries applies `patches` on `commit` in a throwaway tree and reports every patch (a conflict does not stop it). */
export async function trySeries(store: BlobStore, mirror: Mirror, commit: string, paths: string[], patches: Patch[]): Promise<PatchOutcome[]> {
  await ensureDir(join(store.root, 'sources'));
  const temp = join(store.root, 'sources', `try-${process.pid}-${Date.now()}`);
  try {
    await checkoutCommit(mirror, commit, paths, temp, { shared: true });
    return await applySeries(temp, patches, { stopAtConflict: false });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
