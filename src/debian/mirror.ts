// HTTP downloads from apt mirrors: timeouts, a few retries for transient failures, errors that name the URL,
// and .deb files streamed into the BlobStore verified against the index's SHA256 and size.
import type { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { BlobInfo, BlobStore } from '../cache/blob-store.js';
import { errorMessage, IntegrityError, KilnError, NetworkError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import type { ResolvedPackage } from './types.js';

/** HttpOptions tunes downloads; the defaults suit public mirrors. */
export interface HttpOptions {
  /** timeoutMs bounds the wait for headers and for each gap between body chunks. */
  timeoutMs?: number;
  /** retries after the first attempt, for connection errors, 5xx and 429. */
  retries?: number;
  dispatcher?: Dispatcher;
}

let defaultDispatcher: Dispatcher | undefined;

function dispatcherFor(options: HttpOptions): Dispatcher {
  if (options.dispatcher) return options.dispatcher;
  defaultDispatcher ??= new Agent({ connections: 8 }).compose(interceptors.redirect({ maxRedirections: 5 }));
  return defaultDispatcher;
}

// A 404 will not fix itself; connection errors and server trouble may.
const permanent = new WeakSet<Error>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** withRetries runs one attempt at a time until it succeeds, fails permanently, or retries run out. */
async function withRetries<T>(url: string, options: HttpOptions, attempt: () => Promise<T>): Promise<T> {
  const retries = options.retries ?? 2;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if ((error instanceof Error && permanent.has(error)) || error instanceof IntegrityError) throw error;
      if (n >= retries) {
        if (error instanceof KilnError) throw error;
        throw new NetworkError(`cannot fetch ${url}: ${errorMessage(error)}`, { cause: error });
      }
      await sleep(200 * 2 ** n);
    }
  }
}

async function open(url: string, options: HttpOptions): Promise<Readable> {
  const timeout = options.timeoutMs ?? 30_000;
  const response = await request(url, {
    method: 'GET',
    dispatcher: dispatcherFor(options),
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  if (response.statusCode === 200) return response.body;
  response.body.resume();
  const message = `GET ${url}: HTTP ${response.statusCode}`;
  if (response.statusCode >= 500 || response.statusCode === 429) throw new NetworkError(message);
  const error = new NetworkError(message);
  permanent.add(error);
  throw error;
}

/** httpGet downloads a whole (index-sized) file into memory. */
export async function httpGet(url: string, options: HttpOptions = {}): Promise<Buffer> {
  return withRetries(url, options, async () => {
    const body = await open(url, options);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
}

/** isNotFound tells whether httpGet failed because the server has no such file (not because it is unreachable). */
export function isNotFound(error: unknown): boolean {
  return error instanceof NetworkError && permanent.has(error) && / HTTP 404$/.test(error.message);
}

/** debUrl is where a package's .deb lives on its mirror. */
export function debUrl(pkg: Pick<ResolvedPackage, 'mirror' | 'filename'>): string {
  return `${pkg.mirror.replace(/\/+$/, '')}/${pkg.filename}`;
}

/**
 * fetchDeb puts a package's .deb into the store, verified against its SHA256 and size, and returns its digest.
 * A blob already in the store is not downloaded again; a mismatch stores nothing.
 */
export async function fetchDeb(pkg: ResolvedPackage, store: BlobStore, options: HttpOptions = {}): Promise<BlobInfo> {
  const digest: Digest = `sha256:${pkg.sha256}`;
  if (await store.has(digest)) return { digest, size: pkg.size };
  const url = debUrl(pkg);
  return withRetries(url, options, async () => {
    const body = await open(url, options);
    return store.write(body, { digest, size: pkg.size }, `package ${pkg.name} ${pkg.version} (${url})`);
  });
}
