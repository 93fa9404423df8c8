import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { sha256 } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { imageWithLayers, tempStore } from '../testing/images.js';
import { validateImage } from '../oci/validate.js';
import { withCompression } from './recompress.js';

test('withCompression zstd: same config bytes and diffIds, zstd layers whose tars are the gzip layers\' tars', async () => {
  const store = await tempStore();
  const gzip = await imageWithLayers(store, { 'etc/a': 'a\n'.repeat(5000) }, { 'srv/app.py': 'print(1)\n' });
  const zstd = await withCompression(gzip, 'zstd', store);
  assert.ok((await zstd.rawConfig()).equals(await gzip.rawConfig()), 'the config is untouched');
  const manifest = await zstd.manifest();
  assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), [MediaType.ociLayerZstd, MediaType.ociLayerZstd]);
  assert.notEqual(await zstd.digest(), await gzip.digest());
  const before = await gzip.layers();
  for (const [i, layer] of (await zstd.layers()).entries()) {
    assert.equal(manifest.layers[i]!.digest, await layer.digest());
    assert.equal(sha256(await buffer(await layer.compressed())), manifest.layers[i]!.digest, 'the blob is the one the manifest names');
    assert.ok((await buffer(await layer.uncompressed())).equals(await buffer(await before[i]!.uncompressed())));
  }
  await validateImage(zstd, 'zstd image');
  assert.equal(await withCompression(gzip, 'gzip', store), gzip, 'gzip is how kiln builds: nothing to do');
});

test('withCompression zstd: the same image twice gives the same digest, the second time from the memo', async () => {
  const store = await tempStore();
  const gzip = await imageWithLayers(store, { 'etc/a': 'a\n' });
  const first = await withCompression(gzip, 'zstd', store);
  const second = await withCompression(gzip, 'zstd', store);
  assert.equal(await second.digest(), await first.digest());
  const again = await withCompression(first, 'zstd', store);
  assert.equal(await again.digest(), await first.digest(), 'zstd layers stay as they are');
});
