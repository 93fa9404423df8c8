import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeImage } from '../places/index.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { baseSources, resolveBase } from './base.js';
import type { ProgressEvent } from '../progress.js';

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

test('a registry base reports its blobs as one fetch task: done climbs to the image\'s size', async () => {
  const { startRegistry } = await import('../testing/registry.js');
  const registry = await startRegistry();
  try {
    const env = { KILN_INSECURE_REGISTRIES: registry.host };
    const pusher = await tempStore();
    const image = await imageWithLayers(pusher, { 'etc/os-release': 'ID=test\n', 'usr/share/data.txt': 'x'.repeat(50_000) });
    await writeImage(`docker://${registry.host}/progress/base:1`, image, { store: pusher, env });
    const events: ProgressEvent[] = [];
    const plan = testImagePlan({ name: 'pulled', base: { kind: 'place', place: `docker://${registry.host}/progress/base:1` } });
    const base = await resolveBase(plan, { store: await tempStore(), env, manifestDir: await tempDir(), progress: (event) => events.push(event) });
    assert.equal(await base.image.digest(), await image.digest());
    const manifest = await image.manifest();
    const size = manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size);
    assert.deepEqual(events.map((event) => `${event.entry} ${event.stage} ${event.what} ${event.total}`), events.map(() => `pulled fetch base blobs ${size}`));
    assert.equal(events.at(-1)!.done, size);
    for (const [i, event] of events.entries()) if (i) assert.ok(event.done >= events[i - 1]!.done && event.done <= event.total);
    assert.ok(events.length >= 3, 'a start, a step per blob and the end');
  } finally {
    await registry.stop();
  }
});
