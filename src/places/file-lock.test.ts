import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { tempDir } from '../testing/images.js';
import { withFileLock } from './file-lock.js';

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

test('withFileLock breaks a lock left by a killed process, waits for a live holder, and cleans up after itself', async (t) => {
  const dir = await tempDir();
  const lock = join(dir, 'index.json.lock');
  await writeFile(lock, JSON.stringify({ pid: await exitedPid(), host: hostname(), token: 'dead' }));
  assert.equal(await withFileLock(lock, async () => 'ran'), 'ran');
  assert.deepEqual(await readdir(dir), [], 'the stale lock and our own are gone');

  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  t.after(() => sleeper.kill());
  await writeFile(lock, JSON.stringify({ pid: sleeper.pid, host: hostname(), token: 'live' }));
  await assert.rejects(withFileLock(lock, async () => 'ran', { timeoutMs: 300 }), (error: Error) => error instanceof OutputError && new RegExp(`held by pid ${sleeper.pid}`).test(error.message));

  // Holders take turns: the critical sections never overlap.
  await writeFile(lock, JSON.stringify({ pid: await exitedPid(), host: hostname(), token: 'dead' }));
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 6 }, () => withFileLock(lock, async () => {
    most = Math.max(most, ++inside);
    await new Promise((resolve) => setTimeout(resolve, 10));
    inside--;
  })));
  assert.equal(most, 1);
});
