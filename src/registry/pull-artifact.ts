// pullArtifact: fetch an OCI artifact (a manifest whose blobs are not an image's layers) by digest into the cache,
// every blob checked against its descriptor. pullImage cannot take one: an artifact has no rootfs diff_ids.
import type { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError } from '../errors.js';
import { isManifestMediaType } from '../oci/media-types.js';
import type { Descriptor, Manifest } from '../oci/spec.js';
import type { Digest } from '../oci/digest.js';
import { limiter } from '../limit.js';
import { fetchBlob } from './pull.js';
import { formatReference, parseReference, type Reference } from './reference.js';
import { Registries, type RegistriesOptions } from './registries.js';

/** PullArtifactOptions configure pullArtifact; `registries` lets pulls and pushes share clients. */
export interface PullArtifactOptions extends RegistriesOptions {
  store: BlobStore;
  registries?: Registries;
}

/** PulledArtifact is the manifest as stored (its sha256 is `digest`) and its blobs, now in the store. */
export interface PulledArtifact {
  digest: Digest;
  rawManifest: Buffer;
  manifest: Manifest;
  /** artifactType is the manifest's, else its config's media type (the spec's rule). */
  artifactType: string;
  layers: Descriptor[];
}

/** pullArtifact fetches the manifest `ref` names (it must carry a digest) and every blob it lists. */
export async function pullArtifact(ref: string | Reference, options: PullArtifactOptions): Promise<PulledArtifact> {
  const reference = typeof ref === 'string' ? parseReference(ref) : ref;
  const where = formatReference(reference);
  if (!reference.digest) throw new InputError(`${where}: an artifact is pulled by digest (name@sha256:...)`);
  const registries = options.registries ?? new Registries(options);
  const client = registries.client(reference.registry);
  const stored = await client.getManifest(reference.repository, reference.digest);
  if (!isManifestMediaType(stored.mediaType)) throw new InputError(`${where} is a ${stored.mediaType}, not an artifact manifest`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(stored.raw.toString('utf8')) as Manifest;
  } catch {
    throw new IntegrityError(`manifest ${where}: not valid JSON`);
  }
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new IntegrityError(`manifest ${where}: missing config or layers`);
  const limit = limiter(3);
  await Promise.all([manifest.config, ...manifest.layers].map((descriptor) => limit(() => fetchBlob(client, reference.repository, descriptor, options.store))));
  return {
    digest: stored.digest,
    rawManifest: stored.raw,
    manifest,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    layers: manifest.layers,
  };
}
