// `kiln db update`: download each ecosystem's OSV export through the HTTP floor, check it (the MD5 Google Cloud
// Storage sends, then every entry's CRC), and only then make it the cached database.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../cache/blob-store.js';
import { IntegrityError } from '../../errors.js';
import { HttpStatusError, type HttpClient } from '../../http/client.js';
import { redactUrl } from '../../http/redact.js';
import type { Digest } from '../../oci/digest.js';
import { exportUrl } from './ecosystems.js';
import { recordExport, storedExport, type StoredExport } from './store.js';
import { zipEntries } from './zip-entries.js';

/** UpdateOptions say what to download from where, into which cache. */
export interface UpdateOptions {
  /** baseUrl is OSV's bucket or a mirror laid out like it (`<url>/<Ecosystem>/all.zip`). */
  baseUrl: string;
  ecosystems: readonly string[];
  client: HttpClient;
  store: BlobStore;
  now?: () => Date;
}

/** UpdateResult is what became of one ecosystem: a new export, or the server saying the cached one is current. */
export interface UpdateResult {
  status: 'downloaded' | 'current';
  stored: StoredExport;
}

/** googleMd5 reads the base64 MD5 out of `x-goog-hash: crc32c=...,md5=...` (absent for composite objects). */
export function googleMd5(header: string | undefined): string | undefined {
  return header ? /(?:^|[\s,])md5=([A-Za-z0-9+/=]+)/.exec(header)?.[1] : undefined;
}

interface Download {
  temp: string;
  digest: Digest;
  size: number;
  md5: string;
  lastModified?: string;
  expectedMd5?: string;
}

/** download streams the export to a temp file in the store, hashing as it goes; undefined when the server says 304. */
async function download(options: UpdateOptions, ecosystem: string, url: string, previous?: StoredExport): Promise<Download | undefined> {
  const headers: Record<string, string> = previous?.lastModified && previous.url === url ? { 'if-modified-since': previous.lastModified } : {};
  return options.client.read({ method: 'GET', url, headers, what: `OSV export for ${ecosystem}` }, async (response) => {
    if (response.status === 304 && headers['if-modified-since']) return undefined;
    if (response.status === 404) throw new HttpStatusError(`no OSV export for ${ecosystem} at ${redactUrl(url)} (HTTP 404): check the ecosystem name and --base-url`, 404);
    if (response.status < 200 || response.status >= 300) throw new HttpStatusError(`OSV export for ${ecosystem}: GET ${redactUrl(url)}: HTTP ${response.status}`, response.status);
    const temp = await options.store.tempPath();
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    const tap = new PassThrough();
    tap.on('data', (chunk: Buffer) => {
      sha.update(chunk);
      md5.update(chunk);
      size += chunk.length;
    });
    try {
      await pipeline(response.body, tap, createWriteStream(temp));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return {
      temp,
      digest: `sha256:${sha.digest('hex')}`,
      size,
      md5: md5.digest('base64'),
      lastModified: response.header('last-modified'),
      expectedMd5: googleMd5(response.header('x-goog-hash')),
    };
  });
}

/** countRecords reads the whole zip, checking every entry's CRC-32, and counts its JSON records. */
async function countRecords(path: string, name: string): Promise<number> {
  let records = 0;
  for await (const entry of zipEntries(path, name)) if (entry.name.endsWith('.json')) records++;
  return records;
}

/**
 * updateDatabase downloads the export of each ecosystem, one after another (each can be hundreds of megabytes),
 * verifies it and records it in the cache. An export that fails a check is deleted and the previous one stays.
 */
export async function updateDatabase(options: UpdateOptions): Promise<UpdateResult[]> {
  const now = options.now ?? (() => new Date());
  const results: UpdateResult[] = [];
  for (const ecosystem of options.ecosystems) {
    const url = exportUrl(options.baseUrl, ecosystem);
    const previous = await storedExport(options.store, ecosystem);
    const fetched = await download(options, ecosystem, url, previous);
    if (!fetched) {
      const stored = { ...previous!, checked: now().toISOString() };
      await recordExport(options.store, stored);
      results.push({ status: 'current', stored });
      continue;
    }
    try {
      if (fetched.expectedMd5 && fetched.expectedMd5 !== fetched.md5) {
        throw new IntegrityError(`OSV export for ${ecosystem} from ${redactUrl(url)}: MD5 ${fetched.md5} does not match the server's x-goog-hash md5=${fetched.expectedMd5}`);
      }
      const records = await countRecords(fetched.temp, `OSV export for ${ecosystem} from ${redactUrl(url)}`);
      if (records === 0) throw new IntegrityError(`OSV export for ${ecosystem} from ${redactUrl(url)} holds no records`);
      await options.store.commit(fetched.temp, fetched.digest);
      const date = now().toISOString();
      const stored: StoredExport = {
        ecosystem, url, digest: fetched.digest, size: fetched.size, records, downloaded: date, checked: date,
        ...(fetched.lastModified ? { lastModified: fetched.lastModified } : {}),
      };
      await recordExport(options.store, stored);
      results.push({ status: 'downloaded', stored });
    } finally {
      await rm(fetched.temp, { force: true });
    }
  }
  return results;
}
