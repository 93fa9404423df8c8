// appDigest: a digest of exactly what the app layer copies (.dockerignore applied), so a plan can refuse an
// app folder edited after planning.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appEntries, type AppSource } from '../apply/app-layer.js';

/** appDigest hashes every entry's path, type, mode, link target and content, in the order the layer writes them. */
export async function appDigest(app: AppSource): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of await appEntries({ dir: app.dir, dest: '/' })) {
    let content = '';
    if (entry.type === 'file' && entry.content?.kind === 'host-file') {
      const file = createHash('sha256');
      for await (const chunk of createReadStream(entry.content.path)) file.update(chunk as Buffer);
      content = file.digest('hex');
    }
    hash.update(JSON.stringify([entry.path, entry.type, entry.mode, entry.linkTarget ?? '', content]));
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex')}`;
}
