import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageWithLayers, tempStore } from '../testing/images.js';
import { buildLayer } from '../layer/build.js';
import { fileEntries } from '../testing/images.js';
import type { Image } from './image.js';
import { appendLayers, emptyImage, withConfig, withRuntimeConfig } from './mutate.js';
import { checkDiffIds, validateImage } from './validate.js';
import { canonicalTimestamp, rfc3339 } from './timestamp.js';
import { sha256 } from './digest.js';

test('canonicalTimestamp writes times as Go marshals them; rfc3339 formats whole seconds', () => {
  assert.equal(canonicalTimestamp('2024-01-02T03:04:05.000Z'), '2024-01-02T03:04:05Z');
  assert.equal(canonicalTimestamp('2024-01-02T03:04:05.120Z'), '2024-01-02T03:04:05.12Z');
  assert.equal(canonicalTimestamp('2024-01-02T03:04:05+00:00'), '2024-01-02T03:04:05Z');
  assert.equal(canonicalTimestamp('2024-01-02T03:04:05.5+02:00'), '2024-01-02T03:04:05.5+02:00');
  assert.equal(canonicalTimestamp('yesterday'), 'yesterday');
  assert.equal(rfc3339(0), '1970-01-01T00:00:00Z');
  assert.equal(rfc3339(1_700_000_000), '2023-11-14T22:13:20Z');
});

test('building on a base without history gives every layer a history entry, and the result validates', async () => {
  const store = await tempStore();
  const base = await withConfig(await imageWithLayers(store, { 'etc/a': 'a\n' }, { 'etc/b': 'b\n' }), (config) => {
    delete config.history;
  });
  assert.equal((await base.config()).history, undefined);
  const app = (await buildLayer(fileEntries({ 'app/main.py': 'print(1)\n' }), { store, epoch: 0 })).layer;
  const image = await appendLayers(base, { layer: app, history: { created: '2024-01-02T03:04:05Z', created_by: 'app' } });
  const history = (await image.config()).history!;
  assert.equal(history.length, 3);
  assert.deepEqual(history.map((entry) => entry.created_by), ['kiln: base layer without a history entry', 'kiln: base layer without a history entry', 'app']);
  await validateImage(image);
  // Editing the config of such a base (no layers added) also yields a valid image.
  await validateImage(await withConfig(base, (config) => (config.author = 'me')));
});

test('every timestamp kiln writes into a config has one form, whatever the base used', async () => {
  const store = await tempStore();
  const base = await withConfig(await imageWithLayers(store, { 'etc/a': 'a\n' }), () => undefined);
  const raw = JSON.parse((await base.rawConfig()).toString('utf8'));
  raw.created = '2024-01-02T03:04:05.000Z';
  raw.history[0].created = '2024-01-02T03:04:05.000Z';
  const { imageFromParts } = await import('./image.js');
  const millisBase = imageFromParts({ config: raw, layers: await base.layers() });
  const image = await withConfig(millisBase, () => undefined);
  const text = (await image.rawConfig()).toString('utf8');
  assert.doesNotMatch(text, /\.000Z/);
  assert.match(text, /"created":"2024-01-02T03:04:05Z"/);
});

test('checkDiffIds names the layer whose uncompressed content does not match its diff_id', async () => {
  const store = await tempStore();
  const good = await imageWithLayers(store, { 'etc/a': 'a\n' }, { 'etc/b': 'b\n' });
  await checkDiffIds(good, 'good');
  const bad = await withConfig(good, (config) => {
    config.rootfs.diff_ids[1] = sha256(Buffer.from('not the layer'));
  });
  const layer = (await bad.manifest()).layers[1]!.digest;
  await assert.rejects(checkDiffIds(bad, 'base oci:x'), new RegExp(`^IntegrityError: base oci:x: layer 1 \\(${layer}\\): uncompressed content hashes to sha256:`));
  const short = await withConfig(good, (config) => {
    config.rootfs.diff_ids.pop();
  });
  await assert.rejects(checkDiffIds(short, 'base'), /config lists 1 diff_ids for 2 layers/);
});

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
