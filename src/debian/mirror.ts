// Downloads from apt mirrors over the HTTP floor (timeouts, retries, errors naming the URL), and .deb files
// streamed into the BlobStore verified against the index's SHA256 and size.
import type { BlobInfo, BlobStore } from '../cache/blob-store.js';
import { HttpClient, HttpStatusError, type HttpClientOptions } from '../http/client.js';
import type { Digest } from '../oci/digest.js';
import type { ResolvedPackage } from './types.js';

/** HttpOptions tunes downloads (over KILN_HTTP_* and the floor's defaults); `http` shares one client. */
export interface HttpOptions extends HttpClientOptions {
  http?: HttpClient;
}

// One client (one connection pool) per distinct set of settings; callers pass options objects that carry
// other things too (a store, a clock), which must not make a pool each.
const clients = new Map<string, HttpClient>();
const SETTING_KEYS = ['connectMs', 'headersMs', 'bodyIdleMs', 'deadlineMs', 'retries', 'backoffMs', 'maxBackoffMs', 'userAgent'] as const;

function clientFor(options: HttpOptions): HttpClient {
  if (options.http) return options.http;
  if (options.dispatcher || options.ca) return new HttpClient(options);
  const env = options.env ?? process.env;
  const chosen = Object.fromEntries(SETTING_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
  const key = JSON.stringify([chosen, env.KILN_HTTP_TIMEOUT, env.KILN_HTTP_DEADLINE, env.KILN_HTTP_RETRIES]);
  let client = clients.get(key);
  if (!client) clients.set(key, (client = new HttpClient({ ...chosen, env })));
  return client;
}

const WHAT = 'apt mirror';

/** httpGet downloads a whole (index-sized) file into memory; a reset mid-file is retried. */
export async function httpGet(url: string, options: HttpOptions = {}): Promise<Buffer> {
  return (await clientFor(options).getBuffer(url, WHAT)).body;
}

/** isNotFound tells whether httpGet failed because the server has no such file (not because it is unreachable). */
export function isNotFound(error: unknown): boolean {
  return error instanceof HttpStatusError && error.status === 404;
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
  return clientFor(options).read({ method: 'GET', url, what: `package ${pkg.name} ${pkg.version}` }, async (response) => {
    if (response.status !== 200) throw new HttpStatusError(`package ${pkg.name} ${pkg.version}: GET ${response.url}: HTTP ${response.status}`, response.status);
    return store.write(response.body, { digest, size: pkg.size }, `package ${pkg.name} ${pkg.version} (${url})`);
  });
}
