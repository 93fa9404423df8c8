// pushImage: send one image to many references. Per repository: HEAD each blob and skip what is
// there, mount what a sibling repository has, upload the rest (monolithic or chunked, resuming),
// and only then write the manifest under each tag, so no tag ever names a missing blob.
import { Readable, Transform } from 'node:stream';
import type { BlobStore } from '../cache/blob-store.js';
import { InputError, NetworkError, errorMessage } from '../errors.js';
import { RegistryError } from './errors.js';
import type { Digest } from '../oci/digest.js';
import type { Image } from '../oci/image.js';
import type { ImageIndex } from '../oci/image-index.js';
import { blobOrigins, recordBlobOrigin } from './blob-origins.js';
import { ChunkReader } from './chunk-reader.js';
import { isMissingUpload, type RegistryClient, type UploadSession } from './client.js';
import { envCredential, type CredentialSource, type EnvCredentialNames } from './credentials.js';
import { limiter, type Limiter } from '../limit.js';
import { redact } from '../http/redact.js';
import { formatReference, parseReference, repositoryName, type Reference } from './reference.js';
import { Registries, type RegistriesOptions } from './registries.js';

/** PushDestination is a reference plus, optionally, where its credentials come from. */
export interface PushDestination {
  reference: string | Reference;
  /** env names variables holding the credentials (from kiln.yaml); if unset the destination is skipped with a notice. */
  env?: EnvCredentialNames;
}

/** PushProgress is one event about one blob at one destination. */
export interface PushProgress {
  destination: string;
  digest: Digest;
  total: number;
  /** sent bytes so far for `upload`; `skip` and `mount` report total at once. */
  sent: number;
  action: 'upload' | 'skip' | 'mount';
  done: boolean;
}

/** PushOptions configure pushImage. */
export interface PushOptions extends RegistriesOptions {
  registries?: Registries;
  /** store remembers which repositories hold which blobs, to mount instead of upload. */
  store?: BlobStore;
  /** concurrency bounds blob operations across all destinations (default 4). */
  concurrency?: number;
  /** chunkSize: blobs up to this size go in one PUT, larger ones in chunks of it (default 16 MiB). */
  chunkSize?: number;
  env?: NodeJS.ProcessEnv;
  onProgress?: (event: PushProgress) => void;
  onNotice?: (message: string) => void;
}

/** PushResult says what happened at one repository (all its tags share one upload). */
export interface PushResult {
  repository: string;
  /** references written, each pinned by digest. */
  references: string[];
  digest: Digest;
  uploaded: number;
  skipped: number;
  mounted: number;
  bytesSent: number;
  /** subject is set when the registry answered OCI-Subject: it lists this manifest among the subject's referrers. */
  subject?: Digest;
  /** skippedReason is set when the destination was not pushed (no credentials). */
  skippedReason?: string;
}

/** PushError lists the destinations that failed; `results` holds those that succeeded. */
export class PushError extends NetworkError {
  constructor(message: string, readonly results: PushResult[], options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Blob {
  digest: Digest;
  size: number;
  open: () => Promise<Readable>;
}

interface Group {
  registry: string;
  repository: string;
  tags: string[];
  env?: EnvCredentialNames;
}

const DEFAULT_CHUNK = 16 << 20;

function groupDestinations(destinations: Array<string | Reference | PushDestination>, digest: Digest): Group[] {
  const groups = new Map<string, Group>();
  for (const destination of destinations) {
    const spec: PushDestination = typeof destination === 'object' && 'reference' in destination ? destination : { reference: destination };
    const ref = typeof spec.reference === 'string' ? parseReference(spec.reference) : spec.reference;
    if (ref.digest && ref.digest !== digest) {
      throw new InputError(`cannot push to ${formatReference(ref)}: the image's digest is ${digest}`);
    }
    const key = repositoryName(ref);
    const group = groups.get(key) ?? { registry: ref.registry, repository: ref.repository, tags: [], env: spec.env };
    // A reference given only by digest (`repo@sha256:...`) has no tag to write.
    if (ref.tag && !group.tags.includes(ref.tag)) group.tags.push(ref.tag);
    groups.set(key, group);
  }
  return [...groups.values()];
}

// A chunk that failed on the way may have partly landed; the registry knows how much, so ask it.
function resumable(error: unknown): boolean {
  if (error instanceof RegistryError) return error.status === 416 || error.status === 429 || error.status >= 500;
  return error instanceof NetworkError;
}

function counting(stream: Readable, onBytes: (n: number) => void): Readable {
  return stream.pipe(new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  }));
}

/** imageBlobs lists config and layers, each once, in manifest order. */
async function imageBlobs(image: Image): Promise<Blob[]> {
  const manifest = await image.manifest();
  const rawConfig = await image.rawConfig();
  const layers = await image.layers();
  const blobs: Blob[] = [{ digest: manifest.config.digest, size: rawConfig.length, open: async () => Readable.from([rawConfig]) }];
  manifest.layers.forEach((descriptor, i) => {
    const layer = layers[i];
    if (!layer) throw new InputError(`image manifest lists layer ${descriptor.digest} that the image cannot provide`);
    if (!blobs.some((b) => b.digest === descriptor.digest)) blobs.push({ digest: descriptor.digest, size: descriptor.size, open: () => layer.compressed() });
  });
  return blobs;
}

class RepositoryPush {
  readonly result: PushResult;
  private readonly where: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly group: Group,
    private readonly options: PushOptions,
    private readonly limit: Limiter,
    digest: Digest,
  ) {
    this.where = `${group.registry}/${group.repository}`;
    this.result = { repository: this.where, references: [], digest, uploaded: 0, skipped: 0, mounted: 0, bytesSent: 0 };
  }

  private progress(blob: Blob, action: PushProgress['action'], sent: number, done: boolean): void {
    this.options.onProgress?.({ destination: this.where, digest: blob.digest, total: blob.size, sent, action, done });
  }

  async pushBlob(blob: Blob): Promise<void> {
    const { client, group } = this;
    const attempts = client.transport.retries + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await client.headBlob(group.repository, blob.digest, 'push')) !== undefined) {
          // A restarted upload may have landed before its answer was lost: then it counts as uploaded.
          if (attempt === 1) this.result.skipped++;
          else this.result.uploaded++;
          this.progress(blob, attempt === 1 ? 'skip' : 'upload', blob.size, true);
          break;
        }
        let session: UploadSession | undefined;
        const [from] = attempt === 1 ? await blobOrigins(this.options.store, blob.digest, group.registry, group.repository) : [];
        if (from) {
          const mounted = await client.mountBlob(group.repository, blob.digest, from);
          if (mounted.mounted) {
            this.result.mounted++;
            this.progress(blob, 'mount', blob.size, true);
            break;
          }
          session = mounted.session;
        }
        session ??= await client.startUpload(group.repository);
        await this.upload(blob, session);
        this.result.uploaded++;
        break;
      } catch (error) {
        // Only a lost upload session is worth starting over; the transport already retried the rest.
        if (!isMissingUpload(error) || attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, client.transport.backoff(attempt - 1)));
      }
    }
    await recordBlobOrigin(this.options.store, blob.digest, group.registry, group.repository);
  }

  private async upload(blob: Blob, session: UploadSession): Promise<void> {
    const chunkSize = Math.max(this.options.chunkSize ?? DEFAULT_CHUNK, session.minChunk);
    if (blob.size <= chunkSize) {
      await this.client.putBlob(this.group.repository, session, blob.digest, blob.size, async () => {
        let sent = 0;
        return counting(await blob.open(), (n) => {
          sent += n;
          this.result.bytesSent += n;
          this.progress(blob, 'upload', sent, false);
        });
      });
      this.progress(blob, 'upload', blob.size, true);
      return;
    }
    await this.uploadChunked(blob, session, chunkSize);
  }

  private async uploadChunked(blob: Blob, first: UploadSession, chunkSize: number): Promise<void> {
    const { client, group } = this;
    let session = first;
    let offset = 0;
    // Consecutive failures of one chunk; progress resets it, so a long upload survives many blips.
    let resumes = 0;
    let reader = new ChunkReader(await blob.open());
    try {
      while (offset < blob.size) {
        const chunk = await reader.read(chunkSize);
        if (chunk.length === 0) throw new InputError(`blob ${blob.digest} ended after ${offset} of ${blob.size} bytes`);
        try {
          session = await client.patchChunk(group.repository, session, offset, chunk);
          offset += chunk.length;
          resumes = 0;
          this.result.bytesSent += chunk.length;
          this.progress(blob, 'upload', offset, false);
        } catch (error) {
          this.result.bytesSent += chunk.length;
          if (!resumable(error) || ++resumes > client.transport.retries) throw error;
          await new Promise((resolve) => setTimeout(resolve, client.transport.backoff(resumes - 1)));
          // Ask the registry how much it kept, and continue from there.
          const status = await client.uploadOffset(group.repository, session);
          session = status.session;
          offset = status.offset;
          reader.close();
          reader = new ChunkReader(await blob.open());
          await reader.skip(offset);
        }
      }
    } finally {
      reader.close();
    }
    await client.finishUpload(group.repository, session, blob.digest);
    this.progress(blob, 'upload', blob.size, true);
  }

  async run(image: Image, blobs: Blob[]): Promise<PushResult> {
    await Promise.all(blobs.map((blob) => this.limit(() => this.pushBlob(blob))));
    const manifest = { raw: await image.rawManifest(), mediaType: await image.mediaType() };
    const targets = this.group.tags.length ? this.group.tags : [this.result.digest];
    for (const target of targets) {
      const { digest, subject } = await this.client.putManifest(this.group.repository, target, manifest);
      if (subject) this.result.subject = subject;
      const tag = target === digest ? '' : `:${target}`;
      this.result.references.push(`${this.where}${tag}@${digest}`);
    }
    return this.result;
  }
}

/** pushImage sends an image to every destination and returns what happened at each repository. */
export async function pushImage(image: Image, destinations: Array<string | Reference | PushDestination>, options: PushOptions = {}): Promise<PushResult[]> {
  const digest = await image.digest();
  const groups = groupDestinations(destinations, digest);
  const registries = options.registries ?? new Registries(options);
  const blobs = await imageBlobs(image);
  const limit = limiter(options.concurrency ?? 4);
  const env = options.env ?? process.env;
  const failures: string[] = [];
  const causes: unknown[] = [];
  const results: PushResult[] = [];
  // Pushing repositories of one registry one after another lets later ones mount what earlier ones got.
  const byRegistry = new Map<string, Group[]>();
  for (const group of groups) byRegistry.set(group.registry, [...(byRegistry.get(group.registry) ?? []), group]);
  await Promise.all([...byRegistry.values()].map(async (registryGroups) => {
    for (const group of registryGroups) {
      const where = `${group.registry}/${group.repository}`;
      let credentials: CredentialSource | undefined;
      if (group.env) {
        const found = envCredential(group.env, env);
        if (!found) {
          const reason = `no credentials: $${group.env.username} or $${group.env.password} is not set`;
          options.onNotice?.(`skipping ${where}: ${reason}`);
          results.push({ repository: where, references: [], digest, uploaded: 0, skipped: 0, mounted: 0, bytesSent: 0, skippedReason: reason });
          continue;
        }
        credentials = async () => found;
      }
      const push = new RepositoryPush(registries.client(group.registry, credentials), group, options, limit, digest);
      try {
        results.push(await push.run(image, blobs));
      } catch (error) {
        failures.push(redact(`pushing to ${where}: ${errorMessage(error)}`));
        causes.push(error);
      }
    }
  }));
  if (failures.length) throw new PushError(failures.join('; '), results, { cause: causes[0] });
  return results;
}

/**
 * pushIndex sends an image index to every destination: each child image by digest first (blobs, then its
 * manifest), then the index under each tag (or by digest), so no tag ever names an index with a missing child.
 */
export async function pushIndex(index: ImageIndex, destinations: Array<string | Reference | PushDestination>, options: PushOptions = {}): Promise<PushResult[]> {
  const digest = await index.digest();
  const groups = groupDestinations(destinations, digest);
  const registries = options.registries ?? new Registries(options);
  const env = options.env ?? process.env;
  const results = new Map<Group, PushResult>();
  for (const group of groups) {
    results.set(group, { repository: `${group.registry}/${group.repository}`, references: [], digest, uploaded: 0, skipped: 0, mounted: 0, bytesSent: 0 });
  }
  for (const { image } of await index.children()) {
    const child = await image.digest();
    const pushed = await pushImage(image, groups.map((group) => ({ reference: `${group.registry}/${group.repository}@${child}`, ...(group.env ? { env: group.env } : {}) })), { ...options, registries });
    for (const result of results.values()) {
      const at = pushed.find((p) => p.repository === result.repository);
      if (!at) continue;
      if (at.skippedReason) result.skippedReason = at.skippedReason;
      result.uploaded += at.uploaded;
      result.skipped += at.skipped;
      result.mounted += at.mounted;
      result.bytesSent += at.bytesSent;
    }
  }
  const manifest = { raw: await index.rawManifest(), mediaType: await index.mediaType() };
  const failures: string[] = [];
  const causes: unknown[] = [];
  for (const [group, result] of results) {
    if (result.skippedReason) continue;
    const found = group.env ? envCredential(group.env, env) : undefined;
    const client = registries.client(group.registry, found ? async () => found : undefined);
    try {
      for (const target of group.tags.length ? group.tags : [digest]) {
        await client.putManifest(group.repository, target, manifest);
        result.references.push(`${result.repository}${target === digest ? '' : `:${target}`}@${digest}`);
      }
    } catch (error) {
      failures.push(redact(`pushing index to ${result.repository}: ${errorMessage(error)}`));
      causes.push(error);
    }
  }
  if (failures.length) throw new PushError(failures.join('; '), [...results.values()].filter((r) => r.references.length), { cause: causes[0] });
  return [...results.values()];
}
