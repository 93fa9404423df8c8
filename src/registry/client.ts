// The distribution API, one call per endpoint: manifests, blobs, uploads (monolithic, chunked,
// resumable) and cross-repository mounts. Policy (what to push, in what order) lives in push.ts.
import type { Readable } from 'node:stream';
import { IntegrityError, NetworkError } from '../errors.js';
import { isDigest, sha256, verifyDigest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Index } from '../oci/spec.js';
import { RegistryAuth, repositoryScope } from './auth.js';
import type { CredentialSource } from './credentials.js';
import { RegistryError, registryError } from './errors.js';
import type { BodySource, HttpMethod, HttpResponse, Transport } from './transport.js';

/** MANIFEST_ACCEPT lists the manifest media types kiln reads, OCI and Docker v2 schema 2. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

/** MAX_MANIFEST_BYTES bounds what kiln will read as a manifest (distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** RawManifest is a manifest's exact bytes with the media type and digest that go with them. */
export interface RawManifest {
  raw: Buffer;
  mediaType: string;
  digest: Digest;
}

/** StoredManifest is a registry's answer to a manifest PUT: the digest, and `subject` when it said OCI-Subject. */
export interface StoredManifest {
  digest: Digest;
  /** subject echoes the manifest's subject: the registry lists referrers itself. */
  subject?: Digest;
}

/** Referrers is the referrers API's answer; `filtered` says the registry applied the artifactType filter. */
export interface Referrers {
  index: Index;
  filtered: boolean;
}

/** UploadSession is an open blob upload: where to send bytes next, and the registry's minimum chunk. */
export interface UploadSession {
  location: string;
  minChunk: number;
}

/** Access says whether a call needs only pull rights or push rights too (one token covers both). */
export type Access = 'pull' | 'push';

interface Call {
  method: HttpMethod;
  path?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: BodySource;
  retry?: boolean;
  what: string;
  access: Access;
  extraScopes?: string[];
}

/** RegistryClient speaks to one registry; repositories are named per call. */
export class RegistryClient {
  readonly auth: RegistryAuth;
  readonly baseUrl: string;

  constructor(readonly registry: string, readonly transport: Transport, credentials?: CredentialSource) {
    this.auth = new RegistryAuth(registry, transport, credentials);
    this.baseUrl = transport.baseUrl(registry);
  }

  private where(repository: string, suffix = ''): string {
    return `${this.registry}/${repository}${suffix}`;
  }

  /** send authorizes and sends one call, re-authorizing once when the registry asks for a wider scope. */
  private async send(repository: string, call: Call): Promise<HttpResponse> {
    let scopes = [repositoryScope(repository, call.access === 'push' ? ['pull', 'push'] : ['pull']), ...(call.extraScopes ?? [])];
    const url = call.url ?? `${this.baseUrl}/v2/${repository}${call.path ?? ''}`;
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(scopes);
      const response = await this.transport.request({
        method: call.method,
        url,
        headers: { ...call.headers, ...(authorization ? { authorization } : {}) },
        body: call.body,
        retry: call.retry,
        what: call.what,
      });
      if (response.status !== 401 || attempt > 0) return response;
      await response.dump();
      scopes = await this.auth.rejected(response, scopes);
    }
  }

  private async fail(response: HttpResponse, what: string, where: string): Promise<never> {
    let hint = '';
    if (response.status === 401 || response.status === 403) {
      hint = (await this.auth.hasCredentials()) ? ` (credentials for ${this.registry} rejected)` : ` (no credentials found for ${this.registry})`;
    }
    throw await registryError(response, what, where, hint);
  }

  /** getManifest fetches a manifest by tag or digest and checks it against the digest it was asked for or told. */
  async getManifest(repository: string, reference: string): Promise<RawManifest> {
    const where = this.where(repository, isDigest(reference) ? `@${reference}` : `:${reference}`);
    const url = `${this.baseUrl}/v2/${repository}/manifests/${reference}`;
    // The whole exchange is retried, so a connection reset in the middle of the manifest's bytes is too.
    const { raw, response } = await this.transport.http.retrying({ method: 'GET', url, what: 'fetching manifest' }, async () => {
      const response = await this.send(repository, {
        method: 'GET', url, headers: { accept: MANIFEST_ACCEPT }, what: 'fetching manifest', access: 'pull',
      });
      if (response.status !== 200) await this.fail(response, 'fetching manifest', where);
      return { raw: await response.buffer(MAX_MANIFEST_BYTES), response };
    });
    const digest = sha256(raw);
    const told = response.header('docker-content-digest');
    if (isDigest(reference)) verifyDigest(`manifest ${where}`, reference as Digest, digest);
    else if (told && isDigest(told) && told.startsWith('sha256:') && told !== digest) {
      throw new IntegrityError(`manifest ${where}: digest mismatch: registry says ${told}, content is ${digest}`);
    }
    let mediaType = response.header('content-type')?.split(';')[0]?.trim();
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as { mediaType?: string; manifests?: unknown };
      mediaType = parsed.mediaType ?? (parsed.manifests ? MediaType.ociIndex : mediaType);
    } catch {
      throw new IntegrityError(`manifest ${where}: not valid JSON`);
    }
    return { raw, mediaType: mediaType ?? MediaType.ociManifest, digest };
  }

  /** headManifest returns the digest a tag or digest resolves to, or undefined when it does not exist. */
  async headManifest(repository: string, reference: string, access: Access = 'pull'): Promise<Digest | undefined> {
    const response = await this.send(repository, {
      method: 'HEAD', path: `/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, what: 'checking manifest', access,
    });
    await response.dump();
    if (response.status === 404) return undefined;
    if (response.status !== 200) await this.fail(response, 'checking manifest', this.where(repository, `:${reference}`));
    const told = response.header('docker-content-digest');
    return told && isDigest(told) ? told : undefined;
  }

  /** putManifest stores a manifest under a tag or its digest; the answer names the digest and, from a registry that lists referrers, the subject. */
  async putManifest(repository: string, reference: string, manifest: { raw: Buffer; mediaType: string }): Promise<StoredManifest> {
    const where = this.where(repository, isDigest(reference) ? `@${reference}` : `:${reference}`);
    const response = await this.send(repository, {
      method: 'PUT',
      path: `/manifests/${reference}`,
      headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.raw.length) },
      body: () => manifest.raw,
      what: 'pushing manifest',
      access: 'push',
    });
    if (response.status !== 201 && response.status !== 200) await this.fail(response, 'pushing manifest', where);
    await response.dump();
    const digest = sha256(manifest.raw);
    const told = response.header('docker-content-digest');
    if (told && told.startsWith('sha256:') && told !== digest) {
      throw new IntegrityError(`manifest ${where}: registry stored digest ${told}, expected ${digest}`);
    }
    const subject = response.header('oci-subject');
    return { digest, ...(subject && isDigest(subject) ? { subject } : {}) };
  }

  /**
   * getReferrers asks the referrers API for the manifests whose subject is `digest`; undefined when the registry
   * has no such API (404), so the caller falls back to the referrers tag schema.
   */
  async getReferrers(repository: string, digest: Digest, artifactType?: string): Promise<Referrers | undefined> {
    const where = this.where(repository, `@${digest}`);
    const query = artifactType ? `?${new URLSearchParams({ artifactType }).toString()}` : '';
    const response = await this.send(repository, {
      method: 'GET', path: `/referrers/${digest}${query}`, headers: { accept: MediaType.ociIndex }, what: 'listing referrers', access: 'pull',
    });
    if (response.status === 404) {
      await response.dump();
      return undefined;
    }
    if (response.status !== 200) await this.fail(response, 'listing referrers', where);
    const raw = await response.buffer(MAX_MANIFEST_BYTES);
    let index: Index;
    try {
      index = JSON.parse(raw.toString('utf8')) as Index;
    } catch {
      throw new IntegrityError(`referrers of ${where}: not valid JSON`);
    }
    if (!Array.isArray(index.manifests)) throw new IntegrityError(`referrers of ${where}: not an image index`);
    const filtered = (response.header('oci-filters-applied') ?? '').split(',').map((name) => name.trim()).includes('artifactType');
    return { index, filtered };
  }

  /** headBlob returns a blob's size if the repository has it, else undefined. */
  async headBlob(repository: string, digest: Digest, access: Access = 'pull'): Promise<number | undefined> {
    const response = await this.send(repository, { method: 'HEAD', path: `/blobs/${digest}`, what: 'checking blob', access });
    await response.dump();
    if (response.status === 404) return undefined;
    if (response.status !== 200) await this.fail(response, 'checking blob', this.where(repository, `@${digest}`));
    const length = Number(response.header('content-length'));
    return Number.isFinite(length) ? length : 0;
  }

  /** blobUrl is where a blob is fetched from (before any redirect), for messages. */
  blobUrl(repository: string, digest: Digest): string {
    return `${this.baseUrl}/v2/${repository}/blobs/${digest}`;
  }

  /** getBlob opens a blob's bytes; the caller verifies them (BlobStore.write does). */
  async getBlob(repository: string, digest: Digest): Promise<Readable> {
    const response = await this.send(repository, { method: 'GET', path: `/blobs/${digest}`, what: 'fetching blob', access: 'pull' });
    if (response.status !== 200) await this.fail(response, 'fetching blob', this.where(repository, `@${digest}`));
    return response.body;
  }

  private session(response: HttpResponse, repository: string): UploadSession {
    const location = response.header('location');
    if (!location) throw new NetworkError(`starting upload to ${this.where(repository)}: registry sent no Location`);
    const minChunk = Number(response.header('oci-chunk-min-length') ?? 0);
    return { location: new URL(location, `${this.baseUrl}/`).toString(), minChunk: Number.isFinite(minChunk) ? minChunk : 0 };
  }

  /** startUpload opens an upload session. */
  async startUpload(repository: string): Promise<UploadSession> {
    const response = await this.send(repository, {
      method: 'POST', path: '/blobs/uploads/', headers: { 'content-length': '0' }, what: 'starting upload', access: 'push',
    });
    if (response.status !== 202) await this.fail(response, 'starting upload', this.where(repository));
    await response.dump();
    return this.session(response, repository);
  }

  /** mountBlob asks for a blob from another repository; without mount support the registry opens an upload instead. */
  async mountBlob(repository: string, digest: Digest, from: string): Promise<{ mounted: true } | { mounted: false; session: UploadSession }> {
    const query = new URLSearchParams({ mount: digest, from }).toString();
    const response = await this.send(repository, {
      method: 'POST',
      path: `/blobs/uploads/?${query}`,
      headers: { 'content-length': '0' },
      what: 'mounting blob',
      access: 'push',
      extraScopes: [repositoryScope(from, ['pull'])],
    });
    await response.dump();
    if (response.status === 201) return { mounted: true };
    if (response.status === 202) return { mounted: false, session: this.session(response, repository) };
    return this.fail(response, 'mounting blob', this.where(repository, `@${digest}`));
  }

  /** putBlob sends a whole blob in the closing PUT (monolithic upload). */
  async putBlob(repository: string, session: UploadSession, digest: Digest, size: number, body: BodySource): Promise<void> {
    const response = await this.send(repository, {
      method: 'PUT',
      url: withDigest(session.location, digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      what: 'uploading blob',
      access: 'push',
    });
    if (response.status !== 201) await this.fail(response, 'uploading blob', this.where(repository, `@${digest}`));
    await response.dump();
  }

  /** patchChunk sends bytes [offset, offset+length) and returns the session to continue with. No retry: see uploadOffset. */
  async patchChunk(repository: string, session: UploadSession, offset: number, chunk: Buffer): Promise<UploadSession> {
    const response = await this.send(repository, {
      method: 'PATCH',
      url: session.location,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.length),
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
      body: () => chunk,
      retry: false,
      what: 'uploading chunk',
      access: 'push',
    });
    if (response.status !== 202) await this.fail(response, 'uploading chunk', this.where(repository));
    await response.dump();
    return { ...this.session(response, repository), minChunk: session.minChunk };
  }

  /** uploadOffset asks how many bytes of an upload the registry holds, to resume after a failure. */
  async uploadOffset(repository: string, session: UploadSession): Promise<{ offset: number; session: UploadSession }> {
    const response = await this.send(repository, { method: 'GET', url: session.location, what: 'checking upload', access: 'push' });
    if (response.status !== 204 && response.status !== 200) await this.fail(response, 'checking upload', this.where(repository));
    await response.dump();
    const range = /^(?:bytes=)?0-(\d+)$/.exec(response.header('range') ?? '');
    const next = response.header('location') ? this.session(response, repository) : session;
    // Distribution says "0-0" for an empty upload too; kiln never sends a 1-byte first chunk, so it means 0.
    const last = range ? Number(range[1]) : 0;
    return { offset: last > 0 ? last + 1 : 0, session: { ...next, minChunk: session.minChunk } };
  }

  /** finishUpload closes a chunked upload, naming the digest the registry must verify. */
  async finishUpload(repository: string, session: UploadSession, digest: Digest): Promise<void> {
    const response = await this.send(repository, {
      method: 'PUT',
      url: withDigest(session.location, digest),
      headers: { 'content-length': '0', 'content-type': 'application/octet-stream' },
      what: 'finishing upload',
      access: 'push',
    });
    if (response.status !== 201) await this.fail(response, 'finishing upload', this.where(repository, `@${digest}`));
    await response.dump();
  }
}

function withDigest(location: string, digest: Digest): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

/** isMissingUpload tells whether an error means the upload session is gone and must start over. */
export function isMissingUpload(error: unknown): boolean {
  return error instanceof RegistryError && (error.status === 404 || error.status === 416 || error.code === 'BLOB_UPLOAD_UNKNOWN');
}
