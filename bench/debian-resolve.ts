// Resolves a Debian/Ubuntu base against the real mirrors and prints the packages, the download size,
// the total Installed-Size and how long fetching + verifying + resolving took (cold and warm cache).
//   node --import tsx bench/debian-resolve.ts [distro] [release] [arch] [variant] [packages...]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../src/cache/blob-store.js';
import { resolveBase, type BaseRequest } from '../src/debian/lock.js';
import { fetchPackagesIndex } from '../src/debian/packages-index.js';
import { presetSources, findPreset } from '../src/debian/presets.js';
import { fetchRelease } from '../src/debian/release.js';
import type { Distro } from '../src/debian/types.js';
import type { Variant } from '../src/debian/presets.js';

const [distro = 'debian', release = 'bookworm', architecture = 'amd64', variant = 'distroless', ...packages] = process.argv.slice(2);
const request: BaseRequest = {
  distro: distro as Distro, release, architecture, variant: variant as Variant, packages: packages.length ? packages : ['python3'],
};
const store = new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-bench-')));

let start = performance.now();
const base = await resolveBase(request, { store });
const cold = performance.now() - start;
start = performance.now();
await resolveBase(request, { store });
const warm = performance.now() - start;

// Installed-Size is in the index stanzas, not the lock; look it up from the cached indexes.
const installed = new Map<string, number>();
for (const source of presetSources(findPreset(request.distro, release), architecture)) {
  const fetched = await fetchRelease(source);
  for (const component of source.components) {
    for (const p of (await fetchPackagesIndex(fetched, component, architecture, store)).packages) {
      installed.set(`${p.name}=${p.version}`, p.installedSize ?? 0);
    }
  }
}
let kib = 0;
for (const p of base.packages) {
  const size = installed.get(`${p.name}=${p.version}`) ?? 0;
  kib += size;
  console.log(`${p.name.padEnd(28)} ${p.version.padEnd(28)} ${String(size).padStart(6)} KiB`);
}
const debBytes = base.packages.reduce((sum, p) => sum + p.size, 0);
console.log(`${distro} ${release} ${architecture} ${variant} [${request.packages.join(' ')}]: ${base.packages.length} packages, `
  + `${(debBytes / 1e6).toFixed(1)} MB of .deb, Installed-Size ${(kib / 1024).toFixed(1)} MiB`);
console.log(`resolve: cold ${(cold / 1000).toFixed(1)} s, warm (indexes cached) ${(warm / 1000).toFixed(1)} s`);
