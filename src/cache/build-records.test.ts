import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from './blob-store.js';
import { findBuild, recordBuild, storedImage } from './build-records.js';
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
