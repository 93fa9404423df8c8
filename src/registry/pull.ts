// pullImage: resolve a reference, pick the platform from an index, and fetch config and layers into
// the content-addressed cache, every byte checked against the digest that names it.
import type { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError } from '../errors.js';
import { isTransient } from '../http/client.js';
import { checkedConfig, imageFromRaw, type Image } from '../oci/image.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import { isIndexMediaType, isManifestMediaType } from '../oci/media-types.js';
import { Annotation, type Descriptor, type ImageConfig, type Index, type Manifest, type Platform } from '../oci/spec.js';
import type { Digest } from '../oci/digest.js';
import { recordBlobOrigin } from './blob-origins.js';
import type { RegistryClient } from './client.js';
import { limiter } from '../limit.js';
import { formatReference, parseReference, pinReference, repositoryName, type Reference } from './reference.js';
import { Registries, type RegistriesOptions } from './registries.js';

/** PlatformWanted selects one image from an index. */
export interface PlatformWanted {
  os: string;
  architecture: string;
  variant?: string;
}

/** PullProgress reports each blob as it is fetched or found in the cache. */
export interface PullProgress {
  digest: Digest;
  size: number;
  state: 'cached' | 'fetched';
  /** imageBytes is the size of the config and every layer: what all events of this pull add up to. */
  imageBytes: number;
}

/** PullOptions configure pullImage; `registries` lets several pulls and pushes share clients. */
export interface PullOptions extends RegistriesOptions {
  store: BlobStore;
  platform?: PlatformWanted;
  registries?: Registries;
  concurrency?: number;
  onProgress?: (event: PullProgress) => void;
}

/** PulledImage is the image plus the facts a plan or lock records about it. */
export interface PulledImage {
  image: Image;
  /** digest the reference resolved to (an index's when the tag names an index): what pins it. */
  digest: Digest;
  /** imageDigest is the platform-specific manifest's digest. */
  imageDigest: Digest;
  /** reference is the normalised reference pinned by `digest`, e.g. `docker.io/library/python:3.11-slim@sha256:...`. */
  reference: Reference;
  /** annotations to put on an image built on this one (`org.opencontainers.image.base.*`). */
  baseAnnotations: Record<string, string>;
}

/** DEFAULT_PLATFORM is what kiln builds for when nothing says otherwise. */
export const DEFAULT_PLATFORM: PlatformWanted = { os: 'linux', architecture: 'amd64' };

function platformMatches(candidate: Platform | undefined, wanted: PlatformWanted): boolean {
  if (!candidate || candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  // arm64's only variant is v8, so an index may leave it out.
  return candidate.variant === wanted.variant || (!candidate.variant && wanted.architecture === 'arm64' && wanted.variant === 'v8');
}

function describePlatform(p: Platform | PlatformWanted | undefined): string {
  return p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown';
}

/** selectPlatform picks the index entry for a platform, or says which platforms there are. */
export function selectPlatform(index: Index, wanted: PlatformWanted, where: string): Descriptor {
  const images = index.manifests.filter((m) => isManifestMediaType(m.mediaType));
  const found = images.find((m) => platformMatches(m.platform, wanted));
  if (found) return found;
  const available = [...new Set(images.map((m) => describePlatform(m.platform)))].join(', ') || 'none';
  throw new InputError(`${where} has no image for ${describePlatform(wanted)} (available: ${available})`);
}

function parseJson<T>(raw: Buffer, what: string): T {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    throw new IntegrityError(`${what}: not valid JSON`);
  }
}

/** fetchBlob copies one blob into the store, verified, retrying a broken, stalled or truncated transfer from the start. */
export async function fetchBlob(client: RegistryClient, repository: string, descriptor: Descriptor, store: BlobStore): Promise<'cached' | 'fetched'> {
  if (await store.has(descriptor.digest)) return 'cached';
  const what = `blob ${client.registry}/${repository}@${descriptor.digest}`;
  const request = { method: 'GET' as const, url: client.blobUrl(repository, descriptor.digest), what: `fetching ${what}` };
  // A body cut short fails the digest or size check: that is worth another attempt too.
  const transient = (error: unknown): boolean => isTransient(error) || error instanceof IntegrityError;
  await client.transport.http.retrying(request, async () => {
    await store.write(await client.getBlob(repository, descriptor.digest), { digest: descriptor.digest, size: descriptor.size }, what);
  }, transient);
  return 'fetched';
}

/** pullImage fetches an image (by tag or digest) for one platform into the store. */
export async function pullImage(ref: string | Reference, options: PullOptions): Promise<PulledImage> {
  const reference = typeof ref === 'string' ? parseReference(ref) : ref;
  const where = formatReference(reference);
  const registries = options.registries ?? new Registries(options);
  const client = registries.client(reference.registry);
  const { repository } = reference;
  const top = await client.getManifest(repository, reference.digest ?? reference.tag ?? 'latest');
  let manifestRaw = top;
  if (isIndexMediaType(top.mediaType)) {
    const index = parseJson<Index>(top.raw, `index ${where}`);
    const chosen = selectPlatform(index, options.platform ?? DEFAULT_PLATFORM, where);
    manifestRaw = await client.getManifest(repository, chosen.digest);
  } else if (!isManifestMediaType(top.mediaType)) {
    throw new InputError(`${where} is a ${top.mediaType}, not an image manifest or index`);
  }
  const manifest = parseJson<Manifest>(manifestRaw.raw, `manifest ${where}`);
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new IntegrityError(`manifest ${where}: missing config or layers`);

  const { store } = options;
  const imageBytes = manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size);
  const configState = await fetchBlob(client, repository, manifest.config, store);
  options.onProgress?.({ digest: manifest.config.digest, size: manifest.config.size, state: configState, imageBytes });
  const rawConfig = checkedConfig(where, await store.read(manifest.config.digest), manifest.config);
  const config = parseJson<ImageConfig>(rawConfig, `config of ${where}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new IntegrityError(`${where}: manifest lists ${manifest.layers.length} layers but config has ${diffIds.length} diff_ids`);
  }

  const limit = limiter(options.concurrency ?? 3);
  await Promise.all(manifest.layers.map((descriptor) => limit(async () => {
    const state = await fetchBlob(client, repository, descriptor, store);
    await recordBlobOrigin(store, descriptor.digest, reference.registry, repository);
    options.onProgress?.({ digest: descriptor.digest, size: descriptor.size, state, imageBytes });
  })));
  await recordBlobOrigin(store, manifest.config.digest, reference.registry, repository);

  const layers: Layer[] = manifest.layers.map((descriptor, i) => blobLayer({
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    diffId: diffIds[i]!,
    open: () => store.open(descriptor.digest),
  }));
  const image = imageFromRaw({
    rawManifest: async () => manifestRaw.raw,
    rawConfig: async () => rawConfig,
    layers: async () => layers,
  });
  const pinned = pinReference(reference, top.digest);
  return {
    image,
    digest: top.digest,
    imageDigest: manifestRaw.digest,
    reference: pinned,
    baseAnnotations: {
      [Annotation.baseName]: repositoryName(reference) + (reference.tag ? `:${reference.tag}` : ''),
      [Annotation.baseDigest]: top.digest,
    },
  };
}
