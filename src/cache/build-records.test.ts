import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { BlobStore } from './blob-store.js';
import { buildHistory, findBuild, HISTORY_LIMIT, recordBuild, storedImage } from './build-records.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readImage, writeImage } from '../places/index.js';
import { validateImage } from '../oci/validate.js';

test('a recorded build reopens from the cache alone, byte for byte, even when its layers came from elsewhere', async () => {
  const work = await tempDir();
  const scratch = await tempStore();
  // The image's layers live in an OCI layout (as a local base's would), not in the store the build records into.
  await writeImage(`oci:${join(work, 'layout')}`, await imageWithLayers(scratch, { 'a.txt': 'a' }, { 'b.txt': 'b' }), { store: scratch });
  const image = await readImage(`oci:${join(work, 'layout')}`, { store: scratch });
  const store = new BlobStore(join(work, 'cache'));
  const key = { manifestFile: join(work, 'kiln.yaml'), name: 'server/3.11-cpu' };

  assert.equal(await findBuild(store, key), undefined);
  const record = await recordBuild(store, key, image);
  assert.deepEqual(record, { ...key, digest: await image.digest(), blobs: store.root });
  assert.deepEqual(await findBuild(store, key), record);
  assert.equal(await findBuild(store, { ...key, name: 'server/3.13-cpu' }), undefined);
  assert.equal(await findBuild(store, { ...key, manifestFile: join(work, 'other/kiln.yaml') }), undefined);

  await rm(join(work, 'layout'), { recursive: true });
  const reopened = await storedImage(store, record.digest);
  assert.deepEqual(await reopened.rawManifest(), await image.rawManifest());
  assert.deepEqual(await reopened.rawConfig(), await image.rawConfig());
  await validateImage(reopened);
});

test('a recorded build whose blobs left the cache is refused in one line', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'a.txt': 'a' });
  const record = await recordBuild(store, { manifestFile: '/p/kiln.yaml', name: 'demo' }, image);
  const [layer] = (await image.manifest()).layers;
  await rm(store.path(layer!.digest));
  await assert.rejects(storedImage(store, record.digest), /^IntegrityError: image sha256:[0-9a-f]{64}: layer sha256:[0-9a-f]{64} is no longer in the cache at /);
  await rm(store.path(record.digest));
  await assert.rejects(storedImage(store, record.digest), /image sha256:[0-9a-f]{64} is no longer in the cache/);
});

test('each recorded build with stats adds a line to its entry\'s history, which keeps the newest HISTORY_LIMIT', async () => {
  const store = await tempStore();
  const key = { manifestFile: '/p/kiln.yaml', name: 'demo' };
  const other = { ...key, name: 'other' };
  const image = await imageWithLayers(store, { 'a.txt': 'a' });
  const digest = await image.digest();
  await recordBuild(store, key, image);
  assert.deepEqual(await buildHistory(store, key), [], 'a record without stats is not a build to chart');
  for (let i = 0; i < 2 * HISTORY_LIMIT + 3; i++) await recordBuild(store, key, image, [], { size: 1000 + i, unpackedSize: 2000 + i, seconds: i / 2 });
  await recordBuild(store, other, image, [], { size: 7, unpackedSize: 8, seconds: 9 });

  const history = await buildHistory(store, key);
  assert.equal(history.length, HISTORY_LIMIT);
  assert.deepEqual(history.map((entry) => entry.size), Array.from({ length: HISTORY_LIMIT }, (_, i) => 1000 + HISTORY_LIMIT + 3 + i));
  assert.deepEqual({ ...history.at(-1)!, time: '' }, { time: '', digest, size: 1000 + 2 * HISTORY_LIMIT + 2, unpackedSize: 2000 + 2 * HISTORY_LIMIT + 2, seconds: HISTORY_LIMIT + 1 });
  assert.match(history[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(history.every((entry, i) => i === 0 || entry.time >= history[i - 1]!.time), 'oldest first');
  assert.deepEqual((await buildHistory(store, other)).map((entry) => entry.size), [7]);

  // The file is appended to and trimmed, never above twice the limit; a torn last line costs only that line.
  const files = await Promise.all((await readdir(join(store.root, 'history'))).map(async (name) => ({ path: join(store.root, 'history', name), lines: (await readFile(join(store.root, 'history', name), 'utf8')).split('\n').filter(Boolean).length })));
  const longest = files.sort((a, b) => b.lines - a.lines)[0]!;
  assert.ok(longest.lines < 2 * HISTORY_LIMIT, `${longest.lines} lines`);
  await appendFile(longest.path, '{"time":"2026-');
  assert.equal((await buildHistory(store, key)).length, HISTORY_LIMIT);
});
