// A lock file for read-modify-write of a small shared file (a layout's index.json) by several processes.
// Taken with O_EXCL; a lock whose holder is gone (killed mid-update) is broken under a second lock, so two
// processes that find the same stale lock cannot both break it and remove a live holder's lock by mistake.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputError } from '../errors.js';
import { isProcessAlive } from './stale-temps.js';

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** LockOptions bound how long to wait for another holder. */
export interface LockOptions {
  /** timeoutMs is how long to wait before giving up (a live holder that never finishes). */
  timeoutMs?: number;
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  try {
    await writeFile(path, JSON.stringify(owner), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    // Missing, or caught between create and write: treat as held by someone alive.
    return undefined;
  }
}

// Only a holder on this host can be checked; a lock from elsewhere (a shared filesystem) waits out the timeout.
function isStale(owner: LockOwner | undefined): boolean {
  return owner !== undefined && owner.host === hostname() && !isProcessAlive(owner.pid);
}

async function breakIfStale(path: string, seen: LockOwner, me: LockOwner): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker, me))) {
    // A breaker killed between its two steps would block every later one: its lock is stale the same way.
    if (isStale(await readOwner(breaker))) await rm(breaker, { force: true });
    return;
  }
  try {
    const now = await readOwner(path);
    if (now && now.token === seen.token && isStale(now)) await rm(path, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/** withFileLock runs `fn` while holding the lock file at `path`, waiting for other holders in turn. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const me: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let delay = 5;
  while (!(await tryCreate(path, me))) {
    const owner = await readOwner(path);
    if (owner && isStale(owner)) {
      await breakIfStale(path, owner, me);
      continue;
    }
    if (Date.now() > deadline) {
      const who = owner ? `pid ${owner.pid} on ${owner.host}` : 'another process';
      throw new OutputError(`${path} is held by ${who}; remove it if no kiln is writing there`);
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    // Only our own lock is removed, in case it was (wrongly) broken and taken by another process meanwhile.
    if ((await readOwner(path))?.token === me.token) await rm(path, { force: true });
  }
}
