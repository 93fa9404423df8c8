// Assembles a Debian base from real .deb files and prints cold and warm times and peak RSS.
//   node --import tsx bench/debian-assemble.ts [single|grouped] [package...]
// Packages default to bookworm's python3 closure (fetched with apt-get download into a temp dir).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../src/cache/blob-store.js';
import { assembleDebianBase } from '../src/debian/assemble.js';
import { downloadDebs, PYTHON_BASE } from '../src/testing/real-debs.js';

const [layering = 'grouped', ...names] = process.argv.slice(2);
const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-debian-'));
try {
  const debs = await downloadDebs(dir, names.length ? names : PYTHON_BASE);
  if (!debs) throw new Error('apt-get download failed; is a Debian mirror reachable?');
  const store = new BlobStore(join(dir, 'cache'));
  const os = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
  const options = { store, epoch: 1700000000, variant: 'distroless' as const, layering: layering as 'single' | 'grouped', os, architecture: 'amd64' };
  const time = async (): Promise<[number, Awaited<ReturnType<typeof assembleDebianBase>>]> => {
    const start = performance.now();
    const base = await assembleDebianBase(debs, options);
    return [performance.now() - start, base];
  };
  const [cold, base] = await time();
  const [warm] = await time();
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  console.log(`packages: ${debs.length}, layering: ${layering}`);
  for (const { built, history } of base.layers) {
    console.log(`  ${history.comment}: ${mb(built.size)} MB gzip, ${mb(built.uncompressedSize)} MB tar`);
  }
  console.log(`cold: ${cold.toFixed(0)} ms, warm: ${warm.toFixed(0)} ms, peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
