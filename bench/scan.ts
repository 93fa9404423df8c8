// Scan time and peak memory with a full-size OSV database: generates synthetic Debian:12 and PyPI exports the size
// of the real ones (about 110k and 15k records of realistic length), resolves a model-server-sized bookworm base
// (python3 + scikit-learn: ~120 .debs) with ~30 wheels beside it, then scans in a fresh process so the peak RSS
// is the scan's alone. Needs Info-ZIP's `zip` and a Debian mirror.
//   node --import tsx bench/scan.ts [--debian N] [--pypi N]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { InstalledPackage } from '../src/osv/match.js';

const SELF = fileURLToPath(import.meta.url);

/** WHEELS are the distributions a typical model server installs from PyPI. */
const WHEELS: [string, string][] = [
  ['fastapi', '0.110.0'], ['starlette', '0.36.3'], ['pydantic', '2.6.4'], ['pydantic-core', '2.16.3'], ['uvicorn', '0.29.0'],
  ['h11', '0.14.0'], ['anyio', '4.3.0'], ['sniffio', '1.3.1'], ['idna', '3.6'], ['click', '8.1.7'], ['requests', '2.31.0'],
  ['urllib3', '2.2.1'], ['certifi', '2024.2.2'], ['charset-normalizer', '3.3.2'], ['jinja2', '3.1.3'], ['markupsafe', '2.1.5'],
  ['numpy', '1.26.4'], ['scipy', '1.12.0'], ['scikit-learn', '1.4.1.post1'], ['joblib', '1.3.2'], ['threadpoolctl', '3.4.0'],
  ['protobuf', '4.25.3'], ['grpcio', '1.62.1'], ['pyyaml', '6.0.1'], ['typing-extensions', '4.10.0'], ['orjson', '3.9.15'],
  ['prometheus-client', '0.20.0'], ['cloudpickle', '3.0.0'], ['pillow', '10.2.0'], ['packaging', '24.0'],
];

const LOREM = 'A crafted input can make the parser read past the end of a buffer, which an attacker may use to crash a service or disclose memory. ';

function debianRecord(i: number, source: string, extraSources: string[]): object {
  const cve = `CVE-${2005 + (i % 20)}-${10000 + i}`;
  const fixedRelease = i % 3 !== 0;
  return {
    id: `DEBIAN-${cve}`, modified: '2026-11-30T00:00:00Z', published: '2024-01-01T00:00:00Z', upstream: [cve],
    details: LOREM.repeat(1 + (i % 4)),
    ...(i % 2 ? { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] } : {}),
    affected: [source, ...extraSources].flatMap((name) => ['11', '12', '13'].map((release) => ({
      package: { ecosystem: `Debian:${release}`, name, purl: `pkg:deb/debian/${name}?arch=source` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixedRelease ? [{ fixed: `${1 + (i % 7)}.${i % 13}.${i % 5}-1+deb${release}u1` }] : [])] }],
      ecosystem_specific: { urgency: ['low', 'medium', 'unimportant', 'not yet assigned', 'high'][i % 5] },
    }))),
    references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }, { type: 'WEB', url: `https://example.org/advisories/${i}` }],
  };
}

function pypiRecord(i: number, name: string): object {
  return {
    id: `GHSA-${(1000 + i).toString(36)}-bench-${i}`, modified: '2026-11-30T00:00:00Z', published: '2023-01-01T00:00:00Z',
    aliases: [`CVE-${2015 + (i % 10)}-${50000 + i}`, `PYSEC-${2015 + (i % 10)}-${i}`],
    summary: `${name} mishandles crafted input`, details: LOREM.repeat(2 + (i % 6)),
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N' }],
    affected: [{
      package: { ecosystem: 'PyPI', name, purl: `pkg:pypi/${name}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `${1 + (i % 5)}.${i % 30}.0` }] }],
      versions: Array.from({ length: 5 + (i % 20) }, (_, v) => `${i % 5}.${v}.0`),
      database_specific: { source: 'https://github.com/advisories' },
    }],
    references: [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/CVE-${i}` }, { type: 'PACKAGE', url: `https://pypi.org/project/${name}` }],
    database_specific: { severity: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'][i % 4], cwe_ids: ['CWE-20'], github_reviewed: true },
  };
}

/** writeExport writes records as an export zip through Info-ZIP (yazl's writer slows down quadratically past ~10k entries). */
async function writeExport(path: string, records: Iterable<[string, object]>): Promise<number> {
  const staging = await mkdtemp(join(tmpdir(), 'kiln-bench-export-'));
  let count = 0;
  for (const [name, record] of records) {
    await writeFile(join(staging, name), JSON.stringify(record, null, 2));
    count++;
  }
  const zip = spawnSync('zip', ['-q', '-X', '-r', path, '.'], { cwd: staging, encoding: 'utf8' });
  if (zip.status !== 0) throw new Error(`zip: ${zip.stderr}`);
  await rm(staging, { recursive: true, force: true });
  return count;
}

async function packagesOfModelServer(): Promise<InstalledPackage[]> {
  const { BlobStore } = await import('../src/cache/blob-store.js');
  const { resolveBase } = await import('../src/debian/lock.js');
  const store = new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-bench-scan-')));
  const base = await resolveBase({ distro: 'debian', release: 'bookworm', architecture: 'amd64', variant: 'distroless', packages: ['python3', 'python3-sklearn'] }, { store });
  const { sourceOf } = await import('../src/sbom/inventory.js');
  return [
    ...base.packages.map((pkg) => ({ ecosystem: 'Debian:12', name: pkg.name, version: pkg.version, ...sourceOf(pkg.name, pkg.source) })),
    ...WHEELS.map(([name, version]) => ({ ecosystem: 'PyPI', name, version })),
  ];
}

async function scanChild(dir: string): Promise<void> {
  const packages = JSON.parse(await readFile(join(dir, 'packages.json'), 'utf8')) as InstalledPackage[];
  const { BlobStore } = await import('../src/cache/blob-store.js');
  const { scanTargets } = await import('../src/scan/index.js');
  const start = performance.now();
  const run = await scanTargets([{ name: 'model-server', packages }], { path: join(dir, 'db'), store: new BlobStore(join(dir, 'cache')), maxAgeDays: 1e6 }, { today: '2026-12-02' });
  const ms = performance.now() - start;
  const result = run.results[0]!;
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, records: run.database.records, findings: result.findings.length }));
}

const { values } = parseArgs({ options: { debian: { type: 'string', default: '110000' }, pypi: { type: 'string', default: '15000' }, child: { type: 'string' } } });
if (values.child) {
  await scanChild(values.child);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-scan-'));
  await mkdir(join(dir, 'db'));
  const packages = await packagesOfModelServer();
  await writeFile(join(dir, 'packages.json'), JSON.stringify(packages));
  const sources = [...new Set(packages.filter((pkg) => pkg.ecosystem !== 'PyPI').map((pkg) => pkg.source ?? pkg.name))];
  // Most advisories are for packages an image does not hold: spread them over ~3000 source names.
  const debianNames = [...sources, ...Array.from({ length: 3000 }, (_, i) => `srcpkg${i}`)];
  const pypiNames = [...WHEELS.map(([name]) => name), ...Array.from({ length: 5000 }, (_, i) => `pypkg${i}`)];
  let start = performance.now();
  const debian = await writeExport(join(dir, 'db', 'Debian:12.zip'), (function* () {
    for (let i = 0; i < Number(values.debian); i++) yield [`DEBIAN-${i}.json`, debianRecord(i, debianNames[i % debianNames.length]!, i % 10 === 0 ? [debianNames[(i * 7) % debianNames.length]!] : [])] as [string, object];
  })());
  const pypi = await writeExport(join(dir, 'db', 'PyPI.zip'), (function* () {
    for (let i = 0; i < Number(values.pypi); i++) yield [`GHSA-${i}.json`, pypiRecord(i, pypiNames[i % pypiNames.length]!)] as [string, object];
  })());
  const sizes = await Promise.all(['Debian:12.zip', 'PyPI.zip'].map(async (name) => (await stat(join(dir, 'db', name))).size / 1e6));
  console.log(`database: Debian:12 ${debian} records (${sizes[0]!.toFixed(0)} MB zipped), PyPI ${pypi} records (${sizes[1]!.toFixed(0)} MB), generated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  console.log(`image: ${packages.length - WHEELS.length} .debs (${sources.length} source packages) + ${WHEELS.length} wheels`);
  start = performance.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', dir], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  const result = JSON.parse(child.stdout) as { ms: number; maxRssKiB: number; records: number; findings: number };
  console.log(`scan: ${result.records} records read and checked in ${(result.ms / 1000).toFixed(2)} s (process ${((performance.now() - start) / 1000).toFixed(2)} s with startup), ${result.findings} findings, peak RSS ${(result.maxRssKiB / 1024).toFixed(0)} MiB`);
}
