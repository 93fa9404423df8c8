// withCompression: the same image with its layers stored another way (gzip -> zstd). The tars, and so the diffIds
// and the config, stay exactly as they were: only the manifest's layer descriptors change. Each re-encoded blob is
// remembered by the diffId it holds, so a rebuild that reuses a layer reuses its zstd blob too.
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { BlobStore } from '../cache/blob-store.js';
import { HashingStream, sha256, type Digest } from '../oci/digest.js';
import { imageFromRaw, serializeJson, type Image } from '../oci/image.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import { layerCompression, MediaType } from '../oci/media-types.js';
import { ZSTD_FORMAT, zstdFrames } from './zstd.js';

/** LayerCompression is how kiln stores the layers it writes: gzip (the default every runtime reads) or zstd. */
export type LayerCompression = 'gzip' | 'zstd';

interface ZstdMemo {
  digest: Digest;
  size: number;
  uncompressedSize: number;
}

/** zstdLayer returns the layer stored as a zstd blob in the store (made once per diffId and zstd format). */
export async function zstdLayer(layer: Layer, store: BlobStore): Promise<Layer> {
  if (layerCompression(layer.mediaType) === 'zstd') return layer;
  const diffId = await layer.diffId();
  const memoKey = sha256(`${diffId}\0${ZSTD_FORMAT}`).slice(7);
  let memo = await store.getMemo<ZstdMemo>('zstd', memoKey);
  if (!memo || !(await store.has(memo.digest))) {
    const temp = await store.tempPath();
    const tar = new HashingStream();
    const blob = new HashingStream();
    try {
      await pipeline(await layer.uncompressed(), tar, zstdFrames(), blob, createWriteStream(temp));
      // The tar read back must be the one the config names, or the image would lie about its contents.
      if (tar.digest() !== diffId) throw new Error(`layer ${await layer.digest()}: its tar is ${tar.digest()}, not the diffId ${diffId}`);
      await store.commit(temp, blob.digest());
    } finally {
      await rm(temp, { force: true });
    }
    memo = { digest: blob.digest(), size: blob.bytes, uncompressedSize: tar.bytes };
    await store.setMemo('zstd', memoKey, memo);
  }
  const stored = memo;
  return blobLayer({ mediaType: MediaType.ociLayerZstd, ...stored, diffId, open: () => store.open(stored.digest) });
}

/**
 * withCompression returns the image with every layer stored as `compression`. Gzip is how kiln builds, so asking
 * for gzip returns the image itself; a layer already stored the asked way is kept as it is.
 */
export async function withCompression(image: Image, compression: LayerCompression, store: BlobStore): Promise<Image> {
  if (compression === 'gzip') return image;
  const layers: Layer[] = [];
  for (const layer of await image.layers()) layers.push(await zstdLayer(layer, store));
  const manifest = await image.manifest();
  for (const [i, layer] of layers.entries()) {
    manifest.layers[i] = { ...manifest.layers[i]!, mediaType: layer.mediaType, digest: await layer.digest(), size: await layer.size() };
  }
  const rawManifest = serializeJson(manifest);
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: () => image.rawConfig(), layers: async () => layers });
}
