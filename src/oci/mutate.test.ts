import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageWithLayers, tempStore } from '../testing/images.js';
import type { Image } from './image.js';
import { appendLayers, emptyImage, withConfig, withRuntimeConfig } from './mutate.js';
import { validateImage } from './validate.js';

/** snapshot is everything observable about an image, to compare before and after an operation. */
async function snapshot(image: Image) {
  const layers = await image.layers();
  return {
    manifest: (await image.rawManifest()).toString(),
    config: (await image.rawConfig()).toString(),
    parsedConfig: structuredClone(await image.config()),
    layers: await Promise.all(layers.map((layer) => layer.digest())),
    mediaTypes: layers.map((layer) => layer.mediaType),
  };
}

test('mutate never changes its input: appendLayers, withConfig and withRuntimeConfig return new images', async () => {
  const store = await tempStore();
  const base = await withRuntimeConfig(await imageWithLayers(store, { 'etc/base': 'base' }), { Env: ['A=1'], Cmd: ['sh'] }, { 'org.example.base': 'yes' });
  const before = await snapshot(base);
  const [extra] = await (await imageWithLayers(store, { 'app/x': 'x' })).layers();

  const appended = await appendLayers(base, { layer: extra!, history: { created: '1970-01-01T00:00:00Z', created_by: 'test' } });
  const edited = await withConfig(base, (config) => {
    config.config!.Env!.push('B=2');
    config.rootfs.diff_ids.length = 0;
    config.history = [];
  }, { 'org.example.more': 'yes' });
  const merged = await withRuntimeConfig(base, { Env: ['C=3'], User: '65532' });

  assert.deepEqual(await snapshot(base), before, 'the base is unchanged after three operations on it');
  assert.equal((await appended.layers()).length, 2);
  assert.deepEqual((await appended.config()).rootfs.diff_ids.length, 2);
  assert.deepEqual((await edited.config()).config?.Env, ['A=1', 'B=2']);
  assert.deepEqual((await edited.manifest()).annotations, { 'org.example.base': 'yes', 'org.example.more': 'yes' });
  assert.deepEqual((await merged.config()).config, { Env: ['C=3'], Cmd: ['sh'], User: '65532' });
  await validateImage(appended);
  await validateImage(merged);

  // A caller editing what config() or manifest() returned changes neither the image nor images made from it.
  (await base.config()).config!.Env!.push('LEAK=1');
  (await base.manifest()).layers.length = 0;
  assert.deepEqual(await snapshot(base), before);
  assert.deepEqual((await (await appendLayers(base)).config()).config?.Env, ['A=1']);
});

test('emptyImage is a valid image with no layers for the platform asked for', async () => {
  const image = emptyImage({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(await validateImage(image).then((r) => r.layers), 0);
  assert.deepEqual([(await image.config()).architecture, (await image.config()).variant], ['arm64', 'v8']);
});
