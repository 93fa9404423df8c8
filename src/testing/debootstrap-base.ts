// A base image for tests made the way users make rootfs images: debootstrap, then imported as one layer.
// The result is cached as a docker-archive under $KILN_TEST_FIXTURES so only the first run pays for it.
import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { buildLayer } from '../layer/build.js';
import { directoryEntries } from '../layer/from-directory.js';
import { appendLayers, emptyImage, withRuntimeConfig } from '../oci/mutate.js';
import { writeDockerArchive } from '../places/docker-archive.js';

const run = promisify(execFile);

/** fixturesDir is where slow-to-make test inputs are kept between runs. */
export function fixturesDir(): string {
  return process.env.KILN_TEST_FIXTURES ?? '/tmp/kiln-test-fixtures';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      if (i > 1800) throw new Error(`timed out waiting for ${lockDir}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * debootstrapBase returns the path of a docker-archive holding Debian bookworm (minbase + python3),
 * made by debootstrap from Debian's mirror on first use.
 */
export async function debootstrapBase(mirror = process.env.KILN_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'): Promise<string> {
  const dir = fixturesDir();
  const archive = join(dir, 'debootstrap-bookworm-python3.tar');
  if (await exists(archive)) return archive;
  await mkdir(dir, { recursive: true });
  return withLock(`${archive}.lock`, async () => {
    if (await exists(archive)) return archive;
    const rootfs = join(dir, `rootfs-${process.pid}`);
    try {
      await run('debootstrap', ['--variant=minbase', '--include=python3', 'bookworm', rootfs, mirror], { maxBuffer: 64 << 20 });
      const store = new BlobStore(join(dir, 'cache'));
      const entries = await directoryEntries(rootfs, {
        prefix: '',
        preserveOwners: true,
        skipSpecialFiles: true,
        // Kernel file systems and apt's caches do not belong in an image.
        skip: (path) => /^(dev|proc|sys|run)\/./.test(path) || path.startsWith('var/cache/apt/') || path.startsWith('var/lib/apt/lists/'),
      });
      const built = await buildLayer(entries, { store, epoch: 0, addParents: false });
      const base = await appendLayers(emptyImage(), { layer: built.layer, history: { created: '1970-01-01T00:00:00Z', created_by: 'debootstrap --variant=minbase --include=python3 bookworm' } });
      const image = await withRuntimeConfig(base, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] });
      await writeDockerArchive(archive, image, 'kiln-test/debootstrap-bookworm:latest');
      return archive;
    } finally {
      await rm(rootfs, { recursive: true, force: true });
    }
  });
}
