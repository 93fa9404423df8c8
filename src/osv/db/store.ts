// The OSV database in kiln's cache: each ecosystem's export zip is a blob (by sha256), and a small memo per
// ecosystem says which blob is current, where it came from, and when. Blob first, memo after, both atomic, so a
// reader sees the old database or the new one, never half of one.
import type { BlobStore } from '../../cache/blob-store.js';
import { InputError } from '../../errors.js';
import type { Digest } from '../../oci/digest.js';
import { ecosystemId } from '../match.js';
import type { OsvDatabase, OsvDbFile } from './read.js';

/** StoredExport is what the cache remembers of one ecosystem's export. */
export interface StoredExport {
  /** ecosystem is as kiln names it: `Debian:12`, `Ubuntu:24.04`, `PyPI`. */
  ecosystem: string;
  url: string;
  /** digest is the zip's sha256, its name in the blob store. */
  digest: Digest;
  size: number;
  /** records counts the JSON records the zip held when it was checked. */
  records: number;
  /** downloaded is when these bytes were fetched (ISO 8601). */
  downloaded: string;
  /** checked is when the server last confirmed they are current; the database's age counts from it. */
  checked: string;
  /** lastModified is the server's Last-Modified for the export, sent back to ask only for something newer. */
  lastModified?: string;
}

const MEMO_KIND = 'osv-db';

function memoKey(ecosystem: string): string {
  return (ecosystemId(ecosystem) ?? ecosystem).replace(/[^A-Za-z0-9._-]/g, '_');
}

/** storedExport returns the cached export of `ecosystem` when both its memo and its zip are present. */
export async function storedExport(store: BlobStore, ecosystem: string): Promise<StoredExport | undefined> {
  const stored = await store.getMemo<StoredExport>(MEMO_KIND, memoKey(ecosystem));
  return stored && (await store.has(stored.digest)) ? stored : undefined;
}

/** recordExport makes `stored` the current export of its ecosystem; its zip must already be in the store. */
export async function recordExport(store: BlobStore, stored: StoredExport): Promise<void> {
  await store.setMemo(MEMO_KIND, memoKey(stored.ecosystem), stored);
}

/** cachedDatabase opens the cached exports of `ecosystems`; a missing one fails with one line saying what to run. */
export async function cachedDatabase(store: BlobStore, ecosystems: readonly string[]): Promise<OsvDatabase> {
  const files: OsvDbFile[] = [];
  const fetched: OsvDatabase['fetched'] = [];
  const missing: string[] = [];
  for (const ecosystem of ecosystems) {
    const stored = await storedExport(store, ecosystem);
    if (!stored) {
      missing.push(ecosystem);
      continue;
    }
    files.push({ kind: 'zip', path: store.path(stored.digest), ecosystem });
    fetched.push({ what: ecosystem, date: new Date(stored.checked) });
  }
  if (missing.length) {
    const flags = missing.map((ecosystem) => `--ecosystem ${ecosystem}`).join(' ');
    throw new InputError(`no OSV database for ${missing.join(', ')} in the cache (${store.root}): run kiln db update ${flags} (or give --db PATH)`);
  }
  return { where: `the cache (${store.root})`, files, fetched };
}
