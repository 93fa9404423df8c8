// Where a blob is known to live, remembered in the blob store's memos, so a push can mount it from a
// sibling repository of the same registry instead of sending the bytes again.
import type { BlobStore } from '../cache/blob-store.js';
import { digestHex, type Digest } from '../oci/digest.js';

const KIND = 'registry-blob';
const KEEP = 16;

/** recordBlobOrigin notes that `registry/repository` holds the blob (it was pulled from or pushed there). */
export async function recordBlobOrigin(store: BlobStore | undefined, digest: Digest, registry: string, repository: string): Promise<void> {
  if (!store) return;
  const name = `${registry}/${repository}`;
  const known = (await store.getMemo<string[]>(KIND, digestHex(digest))) ?? [];
  if (known.includes(name)) return;
  await store.setMemo(KIND, digestHex(digest), [name, ...known].slice(0, KEEP));
}

/** blobOrigins lists repositories of `registry` other than `except` known to hold the blob, newest first. */
export async function blobOrigins(store: BlobStore | undefined, digest: Digest, registry: string, except: string): Promise<string[]> {
  if (!store) return [];
  const known = (await store.getMemo<string[]>(KIND, digestHex(digest))) ?? [];
  const prefix = `${registry}/`;
  return known.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length)).filter((repo) => repo !== except);
}
