// Test helpers that make real images from object literals (ggcr's `random` in spirit, but deterministic).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { appendLayers, emptyImage } from '../oci/mutate.js';
import type { Image } from '../oci/image.js';
import { buildLayer } from '../layer/build.js';
import type { TarEntry } from '../tar/entry.js';

/** tempDir makes a fresh directory under the OS temp dir. */
export function tempDir(prefix = 'kiln-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** tempStore makes an empty blob store in a temp dir. */
export async function tempStore(): Promise<BlobStore> {
  return new BlobStore(await tempDir('kiln-cache-'));
}

/** fileEntries turns `{ 'app/x.py': 'print(1)' }` into file entries (mode 0644, or 0755 for names under bin/). */
export function fileEntries(files: Record<string, string | Buffer>): TarEntry[] {
  return Object.entries(files).map(([path, data]) => ({
    path,
    type: 'file',
    mode: /(^|\/)bin\//.test(path) ? 0o755 : 0o644,
    content: { kind: 'buffer', data: Buffer.isBuffer(data) ? data : Buffer.from(data) },
  }));
}

/** imageWithLayers builds an image with one layer per file map, on an empty base. */
export async function imageWithLayers(store: BlobStore, ...layers: Array<Record<string, string | Buffer>>): Promise<Image> {
  const additions = [];
  for (const [i, files] of layers.entries()) {
    const built = await buildLayer(fileEntries(files), { store, epoch: 0 });
    additions.push({ layer: built.layer, history: { created: '1970-01-01T00:00:00Z', created_by: `test layer ${i}` } });
  }
  return appendLayers(emptyImage(), ...additions);
}
