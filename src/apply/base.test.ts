import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeImage } from '../places/index.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { baseSources, resolveBase } from './base.js';

test('base sources: an explicit map with one source per kind of base, each reached through resolveBase', async () => {
  assert.deepEqual(Object.keys(baseSources).sort(), ['distro', 'place', 'scratch']);
  for (const source of Object.values(baseSources)) assert.equal(typeof source, 'function');
  const store = await tempStore();
  const dir = await tempDir();
  const context = { store, env: {}, manifestDir: dir };

  const scratch = await resolveBase(testImagePlan({ platform: { os: 'linux', architecture: 'arm64' } }), context);
  assert.deepEqual([scratch.description, (await scratch.image.layers()).length, (await scratch.image.config()).architecture], ['scratch', 0, 'arm64']);

  const local = await imageWithLayers(store, { 'etc/os-release': 'ID=test\n' });
  await writeImage(`oci:${join(dir, 'base')}`, local, { store });
  const place = await resolveBase(testImagePlan({ base: { kind: 'place', place: `oci:${join(dir, 'base')}` } }), context);
  assert.equal(await place.image.digest(), await local.digest());
});
