import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { imageWithLayers, tempStore } from '../testing/images.js';
import { sha256 } from './digest.js';
import { imageFromRaw, serializeJson, type Image } from './image.js';
import type { Layer } from './layer.js';
import { MediaType } from './media-types.js';
import type { ImageConfig, Manifest } from './spec.js';
import { validateImage } from './validate.js';

interface Tamper {
  manifest?: (manifest: Manifest) => void;
  config?: (config: ImageConfig) => void;
  /** keepConfigDigest leaves the manifest's config descriptor as it was (a config corrupted behind its back). */
  keepConfigDigest?: boolean;
  layers?: (layers: Layer[]) => Layer[];
}

// tampered rebuilds a good image's bytes with one thing changed, the way a damaged store or a bad writer would.
async function tampered(good: Image, tamper: Tamper): Promise<Image> {
  const manifest = await good.manifest();
  const config = await good.config();
  tamper.config?.(config);
  const rawConfig = serializeJson(config);
  if (!tamper.keepConfigDigest) manifest.config = { ...manifest.config, digest: sha256(rawConfig), size: rawConfig.length };
  tamper.manifest?.(manifest);
  const rawManifest = serializeJson(manifest);
  const layers = tamper.layers ? tamper.layers(await good.layers()) : await good.layers();
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => rawConfig, layers: async () => layers });
}

test('validateImage passes a good image and names each kind of corruption', async () => {
  const store = await tempStore();
  const good = await imageWithLayers(store, { 'a.txt': 'a' }, { 'b.txt': 'b' });
  assert.equal((await validateImage(good)).layers, 2);
  const other = (await (await imageWithLayers(store, { 'c.txt': 'c' })).layers())[0]!;
  const otherDigest = await other.digest();

  const cases: Array<[string, Tamper, RegExp]> = [
    ['wrong layer digest in the manifest', { manifest: (m) => { m.layers[1]!.digest = otherDigest; } }, /layer 1 \(sha256:[0-9a-f]+\): layer reports digest/],
    ['layer blob replaced by other bytes', { layers: (layers) => [layers[0]!, { ...layers[1]!, digest: layers[1]!.digest, compressed: () => other.compressed() }] }, /layer 1 .*: blob hashes to sha256:/],
    ['layer size', { manifest: (m) => { m.layers[0]!.size += 1; } }, /layer 0 .*: blob is \d+ bytes, manifest says \d+/],
    ['diffId', { config: (c) => { c.rootfs.diff_ids[0] = sha256('not this layer'); } }, /layer 0 .*: uncompressed content hashes to sha256:[0-9a-f]+, config says diff_id sha256:/],
    ['config digest', { config: (c) => { c.architecture = 'arm64'; }, keepConfigDigest: true }, /^image: config is sha256:[0-9a-f]+ \(\d+ bytes\), manifest says sha256:/],
    ['manifest media type', { manifest: (m) => { m.mediaType = MediaType.ociIndex; } }, /manifest media type application\/vnd\.oci\.image\.index\.v1\+json is not an image manifest/],
    ['layer media type (gzip bytes called uncompressed)', { manifest: (m) => { m.layers[0]!.mediaType = MediaType.ociLayer; } }, /layer 0 .*: uncompressed content hashes to/],
    ['layer media type (gzip bytes called zstd)', { manifest: (m) => { m.layers[0]!.mediaType = MediaType.ociLayerZstd; } }, /layer 0 .*: corrupt blob/],
    ['truncated blob', { layers: (layers) => [{ ...layers[0]!, compressed: async () => Readable.from([Buffer.from([0x1f, 0x8b, 8, 0])]) }, layers[1]!] }, /layer 0 .*: corrupt blob/],
    ['a layer missing from the image', { layers: (layers) => layers.slice(0, 1) }, /1 layers but the manifest lists 2/],
    ['diff_ids count', { config: (c) => { c.rootfs.diff_ids.pop(); } }, /config lists 1 diff_ids for 2 layers/],
    ['history count', { config: (c) => { c.history!.pop(); } }, /history has 1 non-empty entries for 2 layers/],
  ];
  for (const [what, tamper, message] of cases) {
    await assert.rejects(validateImage(await tampered(good, tamper)), (error: Error) => {
      assert.equal(error.name, 'IntegrityError', what);
      assert.match(error.message, message, what);
      assert.doesNotMatch(error.message, /\n/, `${what}: one line`);
      return true;
    });
  }
});
