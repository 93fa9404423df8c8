// The one publisher: whichever builder ran, its Image goes to the entry's outputs (outputPublisher) and to its
// registries (publishEntries) here, with the same credentials and tag rules.
// publishEntries tags only once every upload landed. Phase 1 uploads blobs and each manifest by digest (no tag yet), checking immutable tags first,
// then the image's attachments (its SBOM) as OCI 1.1 referrers, by digest too; phase 2 writes the tags, the referrers
// tag (`sha256-<hex>`, for registries without the referrers API) first. A failure in phase 1 holds every tag back unless `partial` is set;
// so does an entry its scan gate (kiln.yaml `scan:`) refuses, which is not uploaded at all.
import type { Image } from '../oci/image.js';
import { isImageIndex, type ImageOrIndex } from '../oci/image-index.js';
import { artifactsFor, artifactsBySubject, type Attachment } from '../oci/artifact.js';
import type { Descriptor } from '../oci/spec.js';
import { errorMessage, OutputError } from '../errors.js';
import { limiter } from '../limit.js';
import { scanGate } from './scan-gate.js';
import type { Digest } from '../oci/digest.js';
import {
  dockerConfigCredentials, envCredential, insecureRegistries, parseReference, pushImage, pushIndex, pushReferrers, redact, Registries,
  updateReferrersTag, type CredentialSource, type PushDestination,
} from '../registry/index.js';
import type { RegistryClient } from '../registry/client.js';
import type { Destination, ImagePlan } from '../plan/index.js';

import { keyedQueue, type PublishContext } from './outputs.js';

export { outputPublisher, type PublishContext } from './outputs.js';

/** PublishResult says what happened to one entry at one registry. */
export interface PublishResult {
  name: string;
  registry: string;
  /** pushed (tags written); uploaded (content there, tags held back); skipped; failed. */
  status: 'pushed' | 'uploaded' | 'skipped' | 'failed';
  references: string[];
  /** referrers are the attached artifacts (the SBOM), `repository@digest` each. */
  referrers?: string[];
  message?: string;
}

/** PublishOptions: `partial` tags what succeeded even when something failed. */
export interface PublishOptions {
  partial?: boolean;
  /**
   * byDigest uploads phase 1 only and writes no tag: the tags come later from `kiln tag`, once every entry's pod or
   * job reported its digest. The referrers tag goes with the upload, since nothing later knows the SBOM's descriptor.
   */
  byDigest?: boolean;
  /** concurrency bounds entry x registry pushes at once (default 2). */
  concurrency?: number;
  /** db is the OSV database the scan gate reads (a zip or folder); default: the one kiln db update keeps in the cache. */
  db?: string;
  /** manifestFile keeps the scan gate's findings as each entry's last scan, for `kiln report`. */
  manifestFile?: string;
}

/** ImmutableTagError: an immutable tag already names another digest. */
export class ImmutableTagError extends OutputError {}

/** ScanGateError: the entry's scan found what its policy refuses, or could not be done. */
export class ScanGateError extends OutputError {}

interface Job {
  entry: ImagePlan;
  image: ImageOrIndex;
  artifacts: Image[];
  destination: Destination;
  result: PublishResult;
  digest: Digest;
  /** untracked are referrers the registry does not list itself, by subject: phase 2 puts them under each referrers tag. */
  untracked: Map<Digest, Descriptor[]>;
}

/** PublishedEntry is one built entry's image and what goes with it. */
export interface PublishedEntry {
  entry: ImagePlan;
  /** image is the built image, or the index of a multi-platform entry. */
  image: ImageOrIndex;
  /** attachments (the SBOM) are attached to the image as referrers; none when absent. */
  attachments?: Attachment[];
}

function hostOf(repository: string): string {
  return parseReference(`${repository}:x`).registry;
}

/** RegistryAccess hands out one client set per kiln registry, so tokens are shared across entries. */
export interface RegistryAccess {
  insecure: string[];
  credentialsOf(destination: Destination): CredentialSource;
  registriesOf(destination: Destination): Registries;
  /** clientOf is the client for the destination's host, with the destination's credentials. */
  clientOf(destination: Destination): RegistryClient;
}

/** registryAccess sets up credentials (env variables named in kiln.yaml, else Docker's config) for these entries. */
export function registryAccess(entries: ImagePlan[], env: NodeJS.ProcessEnv): RegistryAccess {
  const insecure = [
    ...insecureRegistries(env),
    ...entries.flatMap((entry) => entry.destinations.filter((d) => d.insecure).map((d) => hostOf(d.repository))),
  ];
  const fallback = dockerConfigCredentials(env);
  const clients = new Map<string, Registries>();
  const credentialsOf = (destination: Destination): CredentialSource => {
    if (!destination.credentials) return fallback;
    const found = envCredential({ username: destination.credentials.usernameEnv, password: destination.credentials.passwordEnv }, env);
    return async () => found;
  };
  const registriesOf = (destination: Destination): Registries => {
    let registries = clients.get(destination.registry);
    if (!registries) clients.set(destination.registry, (registries = new Registries({ insecure, credentials: credentialsOf(destination) })));
    return registries;
  };
  return {
    insecure, credentialsOf, registriesOf,
    clientOf: (destination) => registriesOf(destination).client(hostOf(destination.repository), credentialsOf(destination)),
  };
}

/** repositoryPath is a destination's repository without its host. */
export function repositoryPath(destination: Destination): string {
  return parseReference(`${destination.repository}:x`).repository;
}

/** publishEntries pushes every built entry to its destinations; it never throws for one destination's failure. */
export async function publishEntries(built: PublishedEntry[], context: PublishContext, options: PublishOptions = {}): Promise<PublishResult[]> {
  const env = context.env;
  const { insecure, credentialsOf, registriesOf } = registryAccess(built.map(({ entry }) => entry), env);
  const pushOptions = (destination: Destination) => ({
    store: context.store,
    env,
    insecure,
    registries: registriesOf(destination),
    credentials: credentialsOf(destination),
  });

  const jobs: Job[] = [];
  for (const { entry, image, attachments } of built) {
    const digest = await image.digest();
    const artifacts = await artifactsFor(image, attachments ?? []);
    for (const destination of entry.destinations) {
      const result: PublishResult = { name: entry.name, registry: destination.registry, status: 'skipped', references: [] };
      if (destination.skipped) result.message = destination.skipped;
      jobs.push({ entry, image, artifacts, destination, result, digest, untracked: new Map() });
    }
  }
  const active = jobs.filter((job) => !job.destination.skipped);
  const slot = limiter(options.concurrency ?? 2);
  // Entries with the same digest in one repository share a referrers tag: one read-modify-write at a time.
  const referrersTagQueue = keyedQueue();

  // The scan gate comes first: an entry its policy refuses is not uploaded, and holds back the run's tags.
  const verdicts = await scanGate(built.filter(({ entry }) => active.some((job) => job.entry === entry)), { store: context.store, log: context.log, ...(options.db ? { db: options.db } : {}), ...(options.manifestFile ? { manifestFile: options.manifestFile } : {}) });
  for (const [name, verdict] of verdicts) context.log(`${name}: ${verdict.summary}`);

  // Phase 1: refuse to move immutable tags, then upload everything and store each manifest by digest.
  await Promise.all(active.map((job) => slot(async () => {
    const { entry, destination, digest } = job;
    try {
      const verdict = verdicts.get(entry.name);
      if (verdict && !verdict.passed) throw new ScanGateError(verdict.summary);
      const registries = registriesOf(destination);
      const host = hostOf(destination.repository);
      const repository = parseReference(`${destination.repository}:x`).repository;
      if (entry.immutableTags) {
        const client = registries.client(host, credentialsOf(destination));
        for (const tag of entry.tags) {
          const existing = await client.headManifest(repository, tag);
          if (existing && existing !== digest) {
            throw new ImmutableTagError(`${destination.repository}:${tag} is immutable and already names ${existing} (this build is ${digest})`);
          }
        }
      }
      context.log(`${entry.name}: uploading to ${destination.repository}`);
      // An index goes children first, each by digest, then the index by digest: still no tag.
      const byDigest = [{ reference: `${destination.repository}@${digest}` } satisfies PushDestination];
      if (isImageIndex(job.image)) await pushIndex(job.image, byDigest, pushOptions(destination));
      else await pushImage(job.image, byDigest, pushOptions(destination));
      // Each platform's SBOM refers to its child: referrers (and the fallback tag) are per subject.
      job.result.referrers = [];
      for (const [subject, artifacts] of await artifactsBySubject(job.artifacts)) {
        const attached = await pushReferrers(destination.repository, artifacts, pushOptions(destination));
        job.result.referrers.push(...attached.references);
        if (attached.untracked.length) job.untracked.set(subject, attached.untracked);
        if (options.byDigest && attached.untracked.length) {
          const client = registries.client(host, credentialsOf(destination));
          await referrersTagQueue(`${destination.repository}@${subject}`, () => updateReferrersTag(client, repository, subject, attached.untracked));
        }
      }
      if (!job.artifacts.length) delete job.result.referrers;
      job.result.status = 'uploaded';
      if (options.byDigest) job.result.references = [`${destination.repository}@${digest}`];
    } catch (error) {
      job.result.status = 'failed';
      job.result.message = redact(errorMessage(error));
      context.log(`${entry.name}: ${destination.registry}: ${job.result.message}`);
    }
  })));

  if (options.byDigest) return jobs.map((job) => job.result);

  // Phase 2: tags, only when every selected entry reached every registry (or --partial).
  const complete = active.every((job) => job.result.status === 'uploaded');
  if (complete || options.partial) {
    await Promise.all(active.filter((job) => job.result.status === 'uploaded').map((job) => slot(async () => {
      const { entry, destination } = job;
      try {
        for (const [subject, untracked] of job.untracked) {
          const repository = parseReference(`${destination.repository}:x`).repository;
          const client = registriesOf(destination).client(hostOf(destination.repository), credentialsOf(destination));
          await referrersTagQueue(`${destination.repository}@${subject}`, () => updateReferrersTag(client, repository, subject, untracked));
        }
        const tags = destination.references.map((reference) => reference.replace(/^docker:\/\//, ''));
        const results = isImageIndex(job.image) ? await pushIndex(job.image, tags, pushOptions(destination)) : await pushImage(job.image, tags, pushOptions(destination));
        job.result.status = 'pushed';
        job.result.references = results.flatMap((result) => result.references);
      } catch (error) {
        job.result.status = 'failed';
        job.result.message = redact(errorMessage(error));
        context.log(`${entry.name}: ${destination.registry}: tagging: ${job.result.message}`);
      }
    })));
  } else {
    for (const job of active) {
      if (job.result.status === 'uploaded') job.result.message = 'tags held back: another entry or registry failed (use --partial to tag what succeeded)';
    }
  }
  return jobs.map((job) => job.result);
}
