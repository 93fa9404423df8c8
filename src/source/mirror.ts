// The git mirror: one bare `git clone --mirror` per remote URL in kiln's cache, shared by every source and git
// dependency that names the URL, fetched only when a ref must be resolved or a pinned commit is missing.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { InputError, NetworkError } from '../errors.js';
import { ensureDir } from '../places/blob-file.js';
import { withFileLock } from '../places/file-lock.js';
import { redact } from '../http/redact.js';
import { gitReason, runGit } from './git.js';

/** COMMIT is a full SHA-1 commit id as git prints it. */
export const COMMIT = /^[0-9a-f]{40}$/;

/** Mirror is a bare mirror of one remote in the cache. */
export interface Mirror {
  url: string;
  /** dir is the bare repository. */
  dir: string;
}

/** MirrorOptions: the cache, git's environment (credential helpers, proxies) and a progress log. */
export interface MirrorOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** mirrorDir is where the mirror of `url` lives in the cache. */
export function mirrorDir(store: BlobStore, url: string): string {
  return join(store.root, 'git', `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.git`);
}

// Fetches of one URL from parallel builds queue behind one lock; what one fetched, the next finds.
async function locked<T>(mirror: Mirror, fn: () => Promise<T>): Promise<T> {
  await ensureDir(join(mirror.dir, '..'));
  return withFileLock(`${mirror.dir}.lock`, fn, { timeoutMs: 600_000 });
}

/** fetchMirror clones the remote as a mirror, or fetches every ref into an existing one. */
export async function fetchMirror(url: string, options: MirrorOptions): Promise<Mirror> {
  const mirror = { url, dir: mirrorDir(options.store, url) };
  await locked(mirror, async () => {
    options.log?.(`fetching ${redact(url)}`);
    if (existsSync(join(mirror.dir, 'HEAD'))) {
      const result = await runGit(['-C', mirror.dir, 'fetch', '--prune', '--tags', '--force', 'origin'], { env: options.env });
      if (result.code !== 0) throw new NetworkError(`cannot fetch ${url}: ${gitReason(result.stderr)}`);
      return;
    }
    // Cloned beside and renamed, so an interrupted clone never passes for a mirror.
    const temp = `${mirror.dir}.tmp-${process.pid}`;
    await rm(temp, { recursive: true, force: true });
    const result = await runGit(['clone', '--mirror', '--quiet', '--', url, temp], { env: options.env });
    if (result.code !== 0) {
      await rm(temp, { recursive: true, force: true });
      throw new NetworkError(`cannot fetch ${url}: ${gitReason(result.stderr)}`);
    }
    await rename(temp, mirror.dir);
  });
  return mirror;
}

/** hasCommit tells whether the mirror of `url` holds `commit` already (no network). */
export async function hasCommit(store: BlobStore, url: string, commit: string): Promise<boolean> {
  const dir = mirrorDir(store, url);
  if (!existsSync(join(dir, 'HEAD'))) return false;
  return (await runGit(['-C', dir, 'cat-file', '-e', `${commit}^{commit}`])).code === 0;
}

/** mirrorWithCommit returns the mirror of `url` holding `commit`, fetching only when it does not yet. */
export async function mirrorWithCommit(url: string, commit: string, options: MirrorOptions): Promise<Mirror> {
  if (await hasCommit(options.store, url, commit)) return { url, dir: mirrorDir(options.store, url) };
  const mirror = await fetchMirror(url, options);
  if (await hasCommit(options.store, url, commit)) return mirror;
  // A commit no branch or tag reaches: servers that allow it hand it out by id.
  await runGit(['-C', mirror.dir, 'fetch', '--quiet', 'origin', commit], { env: options.env });
  if (await hasCommit(options.store, url, commit)) return mirror;
  throw new InputError(`commit ${commit} is not in ${url} (force-pushed away?)`);
}

/** resolveRef turns a tag, branch, `refs/...` name or commit id into a commit of the (fetched) mirror. */
export async function resolveRef(mirror: Mirror, ref: string): Promise<string> {
  const candidates = ref.startsWith('refs/') ? [ref] : [`refs/tags/${ref}`, `refs/heads/${ref}`];
  if (/^[0-9a-f]{4,40}$/.test(ref)) candidates.push(ref);
  for (const candidate of candidates) {
    const result = await runGit(['-C', mirror.dir, 'rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]);
    if (result.code === 0) return result.stdout.trim();
  }
  if (COMMIT.test(ref)) {
    await runGit(['-C', mirror.dir, 'fetch', '--quiet', 'origin', ref]);
    const result = await runGit(['-C', mirror.dir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (result.code === 0) return result.stdout.trim();
  }
  throw new InputError(`ref "${ref}" is not a tag, branch or commit of ${mirror.url}`);
}

/** readBlob reads one file of a commit from the mirror, or undefined when the commit has no such file. */
export async function readBlob(mirror: Mirror, commit: string, path: string): Promise<string | undefined> {
  const result = await runGit(['-C', mirror.dir, 'show', `${commit}:${path}`]);
  return result.code === 0 ? result.stdout : undefined;
}
