// kilnFingerprint names the kiln code that runs, for every cache key that must change with it (image keys, the
// build records of src/cli/stat-record.ts). Apart from image-key.ts and free of node:crypto at load: the no-change
// replay of bin/kiln.js reads it before anything else is loaded, and loading crypto costs more than the replay.
import { readdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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
      const { createHash } = await import('node:crypto');
      return `kiln ${version} sha256:${createHash('sha256').update(stats.join('\n')).digest('hex')}`;
    } catch {
      // The checkout changed while it was read (a rebuild, a checkout): a key no earlier build has, so nothing is reused.
      return `kiln ${version} ${(await import('node:crypto')).randomUUID()}`;
    }
  })());
}
