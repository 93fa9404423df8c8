// reportImage: what `kiln build` prints about an image (digests, sizes, what each layer holds), read from the image
// alone, so an image taken from the cache is reported exactly as a freshly built one.
import type { BlobStore } from '../cache/blob-store.js';
import { imageSize, type Image } from '../oci/image.js';
import type { Layer } from '../oci/layer.js';
import { SLIM_MEMO, type SlimRemoved } from '../plan/slim-rules.js';

/** LayerReport describes one layer of a built image. */
export interface LayerReport {
  digest: string;
  size: number;
  diffId: string;
  /** holds says what the layer contains (from its history entry). */
  holds: string;
}

/** ImageReport is what `kiln build --json` prints per image. */
export interface ImageReport {
  name: string;
  /** digest is the image's manifest digest, or the index's for a multi-platform entry. */
  digest: string;
  /** size and unpackedSize of an index add up its children. */
  size: number;
  unpackedSize: number;
  /** slimmed is what a distro base's slim rules left out, per rule (files, bytes); absent when nothing was. */
  slimmed?: SlimRemoved;
  /** layers of an index are empty: each platform lists its own. */
  layers: LayerReport[];
  outputs: string[];
  /** platform is set on each child report of an index (`linux/arm64`). */
  platform?: string;
  /** platforms are an index's children, each with its own digest and layers. */
  platforms?: ImageReport[];
}

/**
 * layerUncompressedSize asks the layer, remembering the answer by digest: a pulled or archived base
 * layer only knows its size by decompressing, which should happen once, not on every build.
 */
async function layerUncompressedSize(layer: Layer, digest: string, store: BlobStore): Promise<number> {
  const key = digest.replace(':', '-');
  const known = await store.getMemo<number>('uncompressed-size', key);
  if (known !== undefined) return known;
  const size = await layer.uncompressedSize();
  await store.setMemo('uncompressed-size', key, size);
  return size;
}

/** reportImage gathers digests and sizes for the CLI. */
export async function reportImage(name: string, image: Image, outputs: string[], store: BlobStore): Promise<ImageReport> {
  const manifest = await image.manifest();
  const config = await image.config();
  const history = (config.history ?? []).filter((entry) => !entry.empty_layer);
  const layers = await image.layers();
  let unpackedSize = 0;
  const layerReports: LayerReport[] = [];
  const slimmed: SlimRemoved = {};
  for (const [i, layer] of layers.entries()) {
    unpackedSize += await layerUncompressedSize(layer, manifest.layers[i]!.digest, store);
    const removed = await store.getMemo<SlimRemoved>(SLIM_MEMO, config.rootfs.diff_ids[i]!.replace(':', '-'));
    for (const [rule, count] of Object.entries(removed ?? {})) {
      const total = (slimmed[rule] ??= { files: 0, bytes: 0 });
      total.files += count.files;
      total.bytes += count.bytes;
    }
    const entry = history.length === layers.length ? history[i] : undefined;
    layerReports.push({
      digest: manifest.layers[i]!.digest,
      size: manifest.layers[i]!.size,
      diffId: config.rootfs.diff_ids[i]!,
      holds: entry?.comment ?? entry?.created_by ?? 'base layer',
    });
  }
  const slim = Object.keys(slimmed).length ? { slimmed: Object.fromEntries(Object.entries(slimmed).sort(([a], [b]) => (a < b ? -1 : 1))) } : {};
  return { name, digest: await image.digest(), size: await imageSize(image), unpackedSize, ...slim, layers: layerReports, outputs };
}

/** reportIndex describes an index from its children's reports (each with its platform set). */
export function reportIndex(name: string, digest: string, children: ImageReport[]): ImageReport {
  return {
    name, digest,
    size: children.reduce((sum, child) => sum + child.size, 0),
    unpackedSize: children.reduce((sum, child) => sum + child.unpackedSize, 0),
    layers: [], outputs: [], platforms: children,
  };
}
