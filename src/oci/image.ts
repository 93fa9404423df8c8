// Image: a manifest, a config and layers, computed on demand from a minimal core.
import { sha256, verifyDigest, type Digest } from './digest.js';
import { MediaType } from './media-types.js';
import type { Layer } from './layer.js';
import type { Descriptor, ImageConfig, Manifest } from './spec.js';
import { serializeConfig } from './config-json.js';

/** Image is what every place images live reads and writes. It never changes once made. */
export interface Image {
  /** rawManifest is the exact manifest bytes; its sha256 is the image digest. */
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Manifest>;
  /** digest of the manifest. */
  digest(): Promise<Digest>;
  mediaType(): Promise<string>;
  rawConfig(): Promise<Buffer>;
  config(): Promise<ImageConfig>;
  /** layers in order, bottom first. */
  layers(): Promise<Layer[]>;
}

/** ImageParts is the minimal core a built image needs; the manifest is derived from it. */
export interface ImageParts {
  config: ImageConfig;
  layers: Layer[];
  /** annotations on the manifest itself. */
  annotations?: Record<string, string>;
}

/** serializeJson gives the bytes kiln writes for a JSON document: stable key order as constructed, no spaces. */
export function serializeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** imageFromParts computes an OCI image manifest for a config and layers. */
export function imageFromParts(parts: ImageParts): Image {
  const rawConfig = serializeConfig(parts.config);
  let manifestBytes: Promise<Buffer> | undefined;
  const build = async (): Promise<Buffer> => {
    const layers: Descriptor[] = [];
    for (const layer of parts.layers) {
      layers.push({ mediaType: layer.mediaType, digest: await layer.digest(), size: await layer.size() });
    }
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(rawConfig), size: rawConfig.length },
      layers,
      ...(parts.annotations && Object.keys(parts.annotations).length ? { annotations: parts.annotations } : {}),
    };
    return serializeJson(manifest);
  };
  return imageFromRaw({
    rawManifest: () => (manifestBytes ??= build()),
    rawConfig: async () => rawConfig,
    layers: async () => parts.layers,
  });
}

/** RawImageSource is what a reader of stored images provides: exact bytes, plus the layers. */
export interface RawImageSource {
  rawManifest(): Promise<Buffer>;
  rawConfig(): Promise<Buffer>;
  layers(): Promise<Layer[]>;
}

/** imageFromRaw fills in the rest of Image from exact stored bytes, keeping the digest stable. */
export function imageFromRaw(source: RawImageSource): Image {
  let parsedManifest: Promise<Manifest> | undefined;
  let parsedConfig: Promise<ImageConfig> | undefined;
  const image: Image = {
    rawManifest: source.rawManifest,
    rawConfig: source.rawConfig,
    layers: source.layers,
    // Each caller gets its own copy: editing it must not change the image (or images made from it).
    manifest: async () => structuredClone(await (parsedManifest ??= source.rawManifest().then((raw) => JSON.parse(raw.toString('utf8')) as Manifest))),
    config: async () => structuredClone(await (parsedConfig ??= source.rawConfig().then((raw) => JSON.parse(raw.toString('utf8')) as ImageConfig))),
    digest: async () => sha256(await source.rawManifest()),
    mediaType: async () => (await image.manifest()).mediaType ?? MediaType.ociManifest,
  };
  return image;
}

/** checkedConfig returns config bytes after checking them against the manifest's descriptor. */
export function checkedConfig(what: string, raw: Buffer, descriptor: Descriptor): Buffer {
  verifyDigest(`${what}: config`, descriptor.digest, sha256(raw), descriptor.size, raw.length);
  return raw;
}

/** imageSize is the bytes a pull transfers: config plus compressed layers (the manifest aside). */
export async function imageSize(image: Image): Promise<number> {
  const manifest = await image.manifest();
  return manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}
