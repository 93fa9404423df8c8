// appDigest: a digest of exactly what the app layer copies (.dockerignore applied), so a plan can refuse an
// app folder edited after planning.
import { createHash } from 'node:crypto';
import { appEntries, type AppSource } from '../apply/app-layer.js';
import type { BlobStore } from '../cache/blob-store.js';
import { FileDigests } from '../cache/file-digests.js';

/**
 * appDigest hashes every entry's path, type, mode, link target and content, in the order the layer writes them.
 * With a store, files whose stat is unchanged since the last run are not read again (see FileDigests).
 */
export async function appDigest(app: AppSource, store?: BlobStore): Promise<string> {
  const hash = createHash('sha256');
  const files = await FileDigests.open(store, app.dir);
  for (const entry of await appEntries({ dir: app.dir, dest: '/', ...(app.exclude ? { exclude: app.exclude } : {}) })) {
    const content = entry.type === 'file' && entry.content?.kind === 'host-file' ? await files.sha256(entry.content.path) : '';
    hash.update(JSON.stringify([entry.path, entry.type, entry.mode, entry.linkTarget ?? '', content]));
    hash.update('\n');
  }
  await files.save();
  return `sha256:${hash.digest('hex')}`;
}
