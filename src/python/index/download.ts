// Downloads distribution files into the content-addressed BlobStore, a few at a time, each checked
// against the hash the lock vouches for before it is kept.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../../cache/blob-store.js';
import { IntegrityError, KilnError, NetworkError, errorMessage } from '../../errors.js';
import { HttpClient } from '../../http/client.js';
import type { Digest } from '../../oci/digest.js';
import { redact, redactUrl } from '../../http/redact.js';
import type { FileHashes } from '../types.js';

/** DownloadRequest is one file to fetch: what the lock says about it and the package it belongs to. */
export interface DownloadRequest {
  packageName: string;
  filename: string;
  url: string;
  hashes: FileHashes;
  size?: number;
}

/** Downloaded says where a verified file now lives. */
export interface Downloaded {
  request: DownloadRequest;
  digest: Digest;
  path: string;
  fromCache: boolean;
  /** size is the file's length in bytes. */
  size: number;
}

/** DownloadProgress is reported after every finished file. */
export interface DownloadProgress {
  done: number;
  total: number;
  bytes: number;
  file: string;
  /** size is this file's length in bytes. */
  size: number;
}

/** DownloadOptions: where to keep files, how many at once, and whether unhashed files are allowed. */
export interface DownloadOptions {
  store: BlobStore;
  /** concurrency bounds parallel downloads; default 4. */
  concurrency?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** allowUnhashed keeps files the lock has no sha256/sha512 for (refused by default). */
  allowUnhashed?: boolean;
  /** headersFor adds headers (credentials) for a URL; an index decides which hosts get them. */
  headersFor?: (url: string) => Record<string, string>;
  /** http is the client to use (timeouts and retries from KILN_HTTP_* by default). */
  http?: HttpClient;
}

let defaultClient: HttpClient | undefined;

function expectedDigest(request: DownloadRequest): Digest | undefined {
  if (request.hashes.sha256) return `sha256:${request.hashes.sha256.toLowerCase()}`;
  if (request.hashes.sha512) return `sha512:${request.hashes.sha512.toLowerCase()}`;
  return undefined;
}

async function downloadOne(request: DownloadRequest, options: DownloadOptions): Promise<Downloaded> {
  const expected = expectedDigest(request);
  if (!expected && !options.allowUnhashed) {
    throw new IntegrityError(`${request.packageName}: the lock has no sha256 for ${request.filename}; refusing an unverified download`);
  }
  if (expected && (await options.store.has(expected))) {
    const path = options.store.path(expected);
    return { request, digest: expected, path, fromCache: true, size: request.size ?? (await stat(path)).size };
  }
  const what = `${request.packageName}: ${request.filename}`;
  const want = expected ? { digest: expected, ...(request.size ? { size: request.size } : {}) } : undefined;
  const url = new URL(request.url);
  if (url.protocol === 'file:') {
    const info = await withLocalContext(what, () => options.store.write(createReadStream(fileURLToPath(url)), want, what));
    return { request, digest: info.digest, path: options.store.path(info.digest), fromCache: false, size: info.size };
  }
  const http = options.http ?? (defaultClient ??= new HttpClient());
  // Written inside the retry loop: a reset or a stall mid-file starts the file again.
  const info = await http.read({ method: 'GET', url: request.url, headers: options.headersFor?.(request.url) ?? {}, what: `${request.packageName}: downloading ${request.filename}` }, async (response) => {
    if (response.status !== 200) throw new NetworkError(redact(`${request.packageName}: downloading ${request.filename}: GET ${redactUrl(response.url)}: HTTP ${response.status}`));
    return options.store.write(response.body, want, what);
  });
  return { request, digest: info.digest, path: options.store.path(info.digest), fromCache: false, size: info.size };
}

async function withLocalContext<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof KilnError) throw error;
    throw new NetworkError(redact(`${what}: ${errorMessage(error)}`), { cause: error });
  }
}

/** downloadAll fetches every request with bounded parallelism; results come back in request order. */
export async function downloadAll(requests: readonly DownloadRequest[], options: DownloadOptions): Promise<Downloaded[]> {
  const results: Downloaded[] = new Array(requests.length);
  let next = 0;
  let done = 0;
  let bytes = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < requests.length) {
      const index = next++;
      try {
        const result = await downloadOne(requests[index]!, options);
        results[index] = result;
        done++;
        bytes += requests[index]!.size ?? 0;
        options.onProgress?.({ done, total: requests.length, bytes, file: result.request.filename, size: result.size });
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, requests.length)) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
