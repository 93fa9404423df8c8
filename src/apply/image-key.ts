// imageKey: a digest of everything in a pinned plan entry that decides the image's bytes, so a build whose entry
// has the same key as an earlier one can take that build's image from the cache instead of assembling it again.
import { readdir, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256, type Digest } from '../oci/digest.js';
import type { ImagePlan } from '../plan/index.js';

/** IMAGE_KEY_FORMAT changes whenever assembly changes in a way the plan does not show (bump it with such changes). */
export const IMAGE_KEY_FORMAT = 1;

// Fields that say where an image goes or how it is published, not what it holds.
const NOT_CONTENT = new Set<string>(['name', 'image', 'entry', 'tags', 'destinations', 'publish', 'scan', 'sbom', 'immutableTags', 'outputs']);

let fingerprint: Promise<string> | undefined;

/**
 * kilnFingerprint names the kiln that assembles: its version when installed (under node_modules), and in a
 * checkout, where the code changes without the version, also the size and mtime of every file of its code.
 */
export function kilnFingerprint(): Promise<string> {
  return (fingerprint ??= (async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    let version = '0.0.0';
    try {
      version = (JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // A copy without package.json: the code fingerprint below still tells versions apart.
    }
    if (root.split(sep).includes('node_modules')) return `kiln ${version}`;
    // The bundle (dist/bundle/, what bin/kiln.js runs) carries a digest of its own files, written with them.
    try {
      return `kiln ${version} ${readFileSync(fileURLToPath(new URL('fingerprint', import.meta.url)), 'utf8').trim()}`;
    } catch {
      // Not the bundle: tsc's dist/ or the sources under tsx.
    }
    try {
      const files = (await readdir(root, { recursive: true })).filter((name) => /\.[cm]?[jt]s$/.test(name) && !/\.(test|d)\.[cm]?[jt]s$/.test(name)).sort();
      const stats = await Promise.all(files.map(async (name) => {
        const info = await stat(join(root, name));
        return `${name}\0${info.size}\0${info.mtimeMs}`;
      }));
      return `kiln ${version} ${sha256(stats.join('\n'))}`;
    } catch {
      // The checkout changed while it was read (a rebuild, a checkout): a key no earlier build has, so nothing is reused.
      return `kiln ${version} ${randomUUID()}`;
    }
  })());
}

/** imageKey returns the key of a pinned entry's image, or undefined for an entry not resolved (nothing to key on). */
export async function imageKey(entry: ImagePlan): Promise<Digest | undefined> {
  if (!entry.pinned || entry.unresolved) return undefined;
  const content = Object.fromEntries(Object.entries(entry).filter(([field]) => !NOT_CONTENT.has(field)));
  return sha256(JSON.stringify({ format: IMAGE_KEY_FORMAT, kiln: await kilnFingerprint(), content }));
}
