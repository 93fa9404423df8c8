import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore, CACHE_TEMP_QUIET_MS, defaultCacheDir } from './blob-store.js';
import { sha256 } from '../oci/digest.js';
import { tempDir } from '../testing/images.js';
import { runKiln } from '../testing/cli.js';

test('write checks the expected digest and stores nothing on mismatch', async () => {
  const store = new BlobStore(await tempDir());
  const data = Buffer.from('hello blob');
  const info = await store.write(Readable.from([data]), { digest: sha256(data), size: data.length });
  assert.equal(info.digest, sha256(data));
  assert.ok((await store.read(info.digest)).equals(data));
  const other = Buffer.from('not what was promised');
  await assert.rejects(store.write(Readable.from([other]), { digest: sha256(data).replace(/.$/, '0') as `sha256:${string}` }, 'test blob'), /test blob: digest mismatch/);
  assert.equal(await store.has(sha256(other)), false);
  assert.deepEqual(await readdir(join(store.root, 'tmp')), [], 'no temp files left behind');
});

test('the first temp path a process takes removes what dead kiln processes left in the cache tmp/, once quiet', async () => {
  const root = await tempDir();
  const tmp = join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const hex = 'ab'.repeat(8);
  const entries = {
    spill: `${dead}-${hex}`, // a killed build's scratch folder, untouched for an hour: goes
    recent: `${dead}-${'cd'.repeat(8)}`, // changed a minute ago: may be a writer on another host sharing the cache
    live: `${process.pid}-${'ef'.repeat(8)}`, // this process's own
    other: 'notes.txt', // not a name kiln makes
  };
  await mkdir(join(tmp, entries.spill));
  await writeFile(join(tmp, entries.spill, '0.tar'), 'x'.repeat(1000));
  for (const name of [entries.recent, entries.live, entries.other]) await writeFile(join(tmp, name), 'x');
  const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
  for (const name of [entries.spill, entries.live, entries.other]) await utimes(join(tmp, name), hourAgo, hourAgo);
  const minuteAgo = new Date(Date.now() - 60 * 1000);
  await utimes(join(tmp, entries.recent), minuteAgo, minuteAgo);
  assert.ok(CACHE_TEMP_QUIET_MS > 60 * 1000 && CACHE_TEMP_QUIET_MS < 60 * 60 * 1000);

  const store = new BlobStore(root);
  const fresh = await store.tempPath();
  assert.match(fresh, new RegExp(`/tmp/${process.pid}-[0-9a-f]{16}$`));
  assert.deepEqual((await readdir(tmp)).sort(), [entries.live, entries.other, entries.recent].sort());
  // Once per process: a killed writer's temp that appears later waits for the next process.
  await mkdir(join(tmp, `${dead}-${'01'.repeat(8)}`));
  await utimes(join(tmp, `${dead}-${'01'.repeat(8)}`), hourAgo, hourAgo);
  await store.tempPath();
  assert.ok((await readdir(tmp)).includes(`${dead}-${'01'.repeat(8)}`));
});

test('defaultCacheDir follows KILN_CACHE_DIR, then XDG_CACHE_HOME', () => {
  assert.equal(defaultCacheDir({ KILN_CACHE_DIR: '/x/kiln' }), '/x/kiln');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/y' }), '/y/kiln');
});

test('two kiln processes building into one cache at once both succeed with the same digest', { timeout: 120_000 }, async () => {
  const work = await tempDir();
  const project = join(work, 'p');
  await (await import('node:fs/promises')).mkdir(join(project, 'app'), { recursive: true });
  // Enough files that the two processes' layer writes overlap in time.
  for (let i = 0; i < 300; i++) await writeFile(join(project, 'app', `f${i}.txt`), `file ${i}\n`.repeat(200));
  await writeFile(join(project, 'kiln.yaml'), 'images:\n  same:\n    base: scratch\n    app: { src: app, dest: /app }\n');
  const env = { KILN_CACHE_DIR: join(work, 'shared-cache') };
  const [a, b] = await Promise.all([
    runKiln(['build', project, '-o', `oci:${work}/a`, '--json'], { env }),
    runKiln(['build', project, '-o', `oci:${work}/b`, '--json'], { env }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const digestOf = (out: string) => (JSON.parse(out) as { images: Array<{ digest: string }> }).images[0]!.digest;
  assert.equal(digestOf(a.stdout), digestOf(b.stdout));
  // Every blob in the shared cache still hashes to its name.
  const blobs = join(work, 'shared-cache', 'blobs', 'sha256');
  for (const name of await readdir(blobs)) assert.equal(sha256(await readFile(join(blobs, name))), `sha256:${name}`);
  const validate = await runKiln(['validate', `oci:${work}/a`, `oci:${work}/b`], { env });
  assert.equal(validate.code, 0, validate.stderr);
});
