// Referrers (OCI distribution 1.1): the manifests whose `subject` is a given manifest, such as an image's SBOM.
// A registry with the referrers API lists them itself; for one without (Debian's docker-registry, distribution 2.x)
// clients keep an image index under the referrers tag `<alg>-<hex>`, the spec's fallback. kiln reads both and
// writes the tag only where the registry does not list referrers itself.
import { InputError, IntegrityError } from '../errors.js';
import { referrerDescriptor } from '../oci/artifact.js';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.js';
import { serializeJson, type Image } from '../oci/image.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Index } from '../oci/spec.js';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { pushImage, type PushOptions } from './push.js';
import { parseReference } from './reference.js';
import { Registries } from './registries.js';

/** referrersTag is the referrers tag schema's tag for a digest: `sha256-<hex>` (algorithm cut to 32, hex to 64 characters). */
export function referrersTag(digest: Digest): string {
  const algorithm = digestAlgorithm(digest).slice(0, 32);
  return `${algorithm}-${digestHex(digest).slice(0, 64)}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** ReferrerList is what a registry lists for a subject, and whether it came from the referrers API or the tag. */
export interface ReferrerList {
  descriptors: Descriptor[];
  via: 'api' | 'tag';
}

function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

// The referrers index under the fallback tag: undefined when the tag does not exist, an error when it holds something else.
async function readReferrersTag(client: RegistryClient, repository: string, subject: Digest): Promise<Index | undefined> {
  const tag = referrersTag(subject);
  let raw;
  try {
    raw = await client.getManifest(repository, tag);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
  const where = `${client.registry}/${repository}:${tag}`;
  if (raw.mediaType !== MediaType.ociIndex) throw new InputError(`${where} holds a ${raw.mediaType}, not the OCI image index of referrers the tag schema puts there`);
  const index = JSON.parse(raw.raw.toString('utf8')) as Index;
  if (!Array.isArray(index.manifests)) throw new IntegrityError(`${where}: image index without a manifests list`);
  return index;
}

/** listReferrers lists the referrers of `subject` (of `artifactType` only, when given): the API first, else the tag. */
export async function listReferrers(client: RegistryClient, repository: string, subject: Digest, artifactType?: string): Promise<ReferrerList> {
  const keep = (descriptor: Descriptor): boolean => !artifactType || descriptor.artifactType === artifactType;
  const answer = await client.getReferrers(repository, subject, artifactType);
  if (answer) return { descriptors: answer.index.manifests.filter(keep), via: 'api' };
  let index: Index | undefined;
  try {
    index = await readReferrersTag(client, repository, subject);
  } catch (error) {
    // The spec: a tag that is not a valid image index means no referrers, for a reader.
    if (error instanceof InputError || error instanceof IntegrityError) index = undefined;
    else throw error;
  }
  return { descriptors: (index?.manifests ?? []).filter(keep), via: 'tag' };
}

/** withReferrers adds descriptors to a referrers index, each digest once, keeping what is there; `changed` is false when all were listed. */
export function withReferrers(index: Index | undefined, added: Descriptor[]): { index: Index; changed: boolean } {
  const base = index ?? emptyIndex();
  const manifests = [...base.manifests];
  for (const descriptor of added) {
    if (!manifests.some((listed) => listed.digest === descriptor.digest)) manifests.push(descriptor);
  }
  return { index: { ...base, manifests }, changed: index === undefined || manifests.length !== base.manifests.length };
}

/**
 * updateReferrersTag adds `added` to the index under `subject`'s referrers tag (creating it), unless every one is
 * listed already, so pushing the same build twice leaves one descriptor each. Returns whether the tag was written.
 * Two clients updating one tag at once can lose an update (the spec leaves that to clients; distribution has no
 * conditional PUT), so kiln updates each tag from one task at a time within a run.
 */
export async function updateReferrersTag(client: RegistryClient, repository: string, subject: Digest, added: Descriptor[]): Promise<boolean> {
  const current = await readReferrersTag(client, repository, subject);
  const { index, changed } = withReferrers(current, added);
  if (!changed) return false;
  await client.putManifest(repository, referrersTag(subject), { raw: serializeJson(index), mediaType: MediaType.ociIndex });
  return true;
}

/** PushedReferrers says what pushReferrers uploaded and which descriptors still need the referrers tag. */
export interface PushedReferrers {
  /** references are `host/repository@digest`, one per artifact. */
  references: string[];
  /** untracked lists the artifacts the registry does not list itself: they go under the referrers tag (with the tags). */
  untracked: Descriptor[];
}

/**
 * pushReferrers uploads artifacts whose subject is an image already in `repository` (`host/path`): blobs, then each
 * manifest by digest, no tag. A registry that answers OCI-Subject, or whose referrers API answers, lists them
 * itself; otherwise they are returned as untracked, for updateReferrersTag once the run's tags may be written.
 */
export async function pushReferrers(repository: string, artifacts: Image[], options: PushOptions = {}): Promise<PushedReferrers> {
  const result: PushedReferrers = { references: [], untracked: [] };
  if (artifacts.length === 0) return result;
  const registries = options.registries ?? new Registries(options);
  const ref = parseReference(`${repository}:x`);
  let apiAnswers: boolean | undefined;
  for (const artifact of artifacts) {
    const digest = await artifact.digest();
    const [pushed] = await pushImage(artifact, [`${repository}@${digest}`], { ...options, registries });
    const rawManifest = await artifact.rawManifest();
    result.references.push(...(pushed?.references ?? []));
    if (pushed?.subject) continue;
    const subject = (await artifact.manifest()).subject?.digest;
    if (!subject) throw new InputError(`artifact ${digest} has no subject: it refers to nothing`);
    apiAnswers ??= (await registries.client(ref.registry).getReferrers(ref.repository, subject)) !== undefined;
    if (!apiAnswers) result.untracked.push(referrerDescriptor(rawManifest));
  }
  return result;
}
