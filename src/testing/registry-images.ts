// Images made in code for registry tests: a runnable busybox image, and small images built on it.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type { BlobStore } from '../cache/blob-store.js';
import { buildLayer } from '../layer/build.js';
import { appendLayers, emptyImage, withRuntimeConfig } from '../oci/mutate.js';
import type { Image } from '../oci/image.js';
import type { TarEntry } from '../tar/entry.js';

/** BUSYBOX is the static binary the runnable test image is made of (Debian's busybox-static). */
export const BUSYBOX = '/bin/busybox';

/** busyboxImage is `/bin/busybox` in one layer, running `busybox echo <message>` by default. */
export async function busyboxImage(store: BlobStore, message = 'hello from kiln'): Promise<Image> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static (scripts/test-services.sh install)`);
  const base = await buildLayer([
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: { kind: 'host-file', path: BUSYBOX }, size: statSync(BUSYBOX).size },
    { path: 'bin/sh', type: 'symlink', mode: 0o777, linkTarget: 'busybox' },
  ], { store, epoch: 0, cacheKey: `busybox-test-layer` });
  const image = await appendLayers(emptyImage(), { layer: base.layer, history: { created_by: 'kiln test: busybox' } });
  return withRuntimeConfig(image, { Entrypoint: ['/bin/busybox'], Cmd: ['echo', message] });
}

/** pseudoRandom gives `size` deterministic incompressible bytes for a seed (a layer that stays big after gzip). */
export function pseudoRandom(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let counter = 0;
  for (let offset = 0; offset < size; offset += 32) {
    createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, offset);
  }
  return out;
}

/** appFile is one file in an "app" layer, for images that share a base and differ on top. */
export async function withAppLayer(store: BlobStore, base: Image, files: Record<string, Buffer | string>): Promise<Image> {
  const entries: TarEntry[] = Object.entries(files).map(([path, data]) => ({
    path, type: 'file', mode: 0o644, content: { kind: 'buffer', data: Buffer.from(data) },
  }));
  const built = await buildLayer(entries, { store, epoch: 0 });
  return appendLayers(base, { layer: built.layer, history: { created_by: 'kiln test: app' } });
}
