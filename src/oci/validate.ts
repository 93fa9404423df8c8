// validate re-checks an image end to end: every digest, size and diffId, as ggcr's validate.Image does.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, sha256 } from './digest.js';
import type { Image } from './image.js';
import { decompressor, type Layer } from './layer.js';
import { isManifestMediaType } from './media-types.js';
import { errorMessage, IntegrityError } from '../errors.js';

/** ValidationReport lists what was checked, for the CLI to print. */
export interface ValidationReport {
  digest: string;
  layers: number;
  bytesChecked: number;
}

const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** validateImage throws an IntegrityError naming the first thing that does not add up. */
export async function validateImage(image: Image, what = 'image'): Promise<ValidationReport> {
  const rawManifest = await image.rawManifest();
  const manifest = await image.manifest();
  const mediaType = await image.mediaType();
  if (!isManifestMediaType(mediaType)) throw new IntegrityError(`${what}: manifest media type ${mediaType} is not an image manifest`);
  const rawConfig = await image.rawConfig();
  const configDigest = sha256(rawConfig);
  if (configDigest !== manifest.config.digest || rawConfig.length !== manifest.config.size) {
    throw new IntegrityError(`${what}: config is ${configDigest} (${rawConfig.length} bytes), manifest says ${manifest.config.digest} (${manifest.config.size})`);
  }
  const config = await image.config();
  const layers = await image.layers();
  if (layers.length !== manifest.layers.length) throw new IntegrityError(`${what}: ${layers.length} layers but the manifest lists ${manifest.layers.length}`);
  if (config.rootfs.diff_ids.length !== layers.length) throw new IntegrityError(`${what}: config lists ${config.rootfs.diff_ids.length} diff_ids for ${layers.length} layers`);
  const history = (config.history ?? []).filter((entry) => !entry.empty_layer);
  if (config.history && history.length !== layers.length) throw new IntegrityError(`${what}: history has ${history.length} non-empty entries for ${layers.length} layers`);
  let bytesChecked = rawManifest.length + rawConfig.length;
  for (const [i, layer] of layers.entries()) {
    const descriptor = manifest.layers[i]!;
    const name = `${what}: layer ${i} (${descriptor.digest})`;
    if ((await layer.digest()) !== descriptor.digest) throw new IntegrityError(`${name}: layer reports digest ${await layer.digest()}`);
    const compressedHash = new HashingStream();
    const uncompressedHash = new HashingStream();
    const inflate = decompressor(descriptor.mediaType);
    const source = await layer.compressed();
    try {
      if (inflate) await pipeline(source, compressedHash, inflate, uncompressedHash, discard());
      else await pipeline(source, compressedHash, uncompressedHash, discard());
    } catch (error) {
      throw new IntegrityError(`${name}: corrupt blob: ${errorMessage(error)}`, { cause: error });
    }
    if (compressedHash.digest() !== descriptor.digest) throw new IntegrityError(`${name}: blob hashes to ${compressedHash.digest()}`);
    if (compressedHash.bytes !== descriptor.size) throw new IntegrityError(`${name}: blob is ${compressedHash.bytes} bytes, manifest says ${descriptor.size}`);
    const diffId = config.rootfs.diff_ids[i];
    if (uncompressedHash.digest() !== diffId) throw new IntegrityError(`${name}: uncompressed content hashes to ${uncompressedHash.digest()}, config says diff_id ${diffId}`);
    bytesChecked += compressedHash.bytes;
  }
  return { digest: sha256(rawManifest), layers: layers.length, bytesChecked };
}

/** LayerContent is what decompressing a layer once tells: its diffId and uncompressed size. */
export interface LayerContent {
  diffId: string;
  size: number;
}

/** layerContent decompresses a layer's blob and hashes the tar, for checking the config's diff_id. */
export async function layerContent(layer: Layer): Promise<LayerContent> {
  const hash = new HashingStream();
  const inflate = decompressor(layer.mediaType);
  const source = await layer.compressed();
  if (inflate) await pipeline(source, inflate, hash, discard());
  else await pipeline(source, hash, discard());
  return { diffId: hash.digest(), size: hash.bytes };
}

/** ContentMemo remembers layer contents by compressed digest, so a base is decompressed once, not per build. */
export interface ContentMemo {
  get(digest: string): Promise<LayerContent | undefined>;
  set(digest: string, content: LayerContent): Promise<void>;
}

/**
 * checkDiffIds throws an IntegrityError unless the config lists one diff_id per layer and each matches the
 * layer's uncompressed content: an image that fails this is rejected by other tools (umoci, containerd).
 */
export async function checkDiffIds(image: Image, what: string, memo?: ContentMemo): Promise<void> {
  const manifest = await image.manifest();
  const config = await image.config();
  const layers = await image.layers();
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) throw new IntegrityError(`${what}: config lists ${diffIds.length} diff_ids for ${layers.length} layers`);
  for (const [i, layer] of layers.entries()) {
    const digest = manifest.layers[i]?.digest ?? (await layer.digest());
    let content = await memo?.get(digest);
    if (!content) {
      try {
        content = await layerContent(layer);
      } catch (error) {
        throw new IntegrityError(`${what}: layer ${i} (${digest}): corrupt blob: ${errorMessage(error)}`, { cause: error });
      }
      await memo?.set(digest, content);
    }
    if (content.diffId !== diffIds[i]) {
      throw new IntegrityError(`${what}: layer ${i} (${digest}): uncompressed content hashes to ${content.diffId}, config says diff_id ${diffIds[i]}`);
    }
  }
}
