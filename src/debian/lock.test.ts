import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, IntegrityError } from '../errors.js';
import { createAptRepo, type AptRepoPackage } from '../testing/apt-repo.js';
import { formatLock, packagesFromLock, readLock, requestHash, resolveBase, writeLock, type BaseRequest } from './lock.js';
import { tempStore } from '../testing/images.js';

const basics: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' }));
const main: AptRepoPackage[] = [
  ...basics,
  { name: 'python3', version: '3.11.2-1', architecture: 'amd64', depends: 'libfoo1 (>= 1.0), dpkg' },
  { name: 'libfoo1', version: '1.0-1', architecture: 'amd64' },
  { name: 'dpkg', version: '1.21.22', architecture: 'amd64' },
  { name: 'python3-pythran', version: '0.11.0-3', depends: 'gcc' },
  { name: 'gcc', version: '12', architecture: 'amd64' },
];
const repo = await createAptRepo({
  suite: 'bookworm',
  packages: main,
  suites: [
    { suite: 'bookworm-updates', packages: [{ name: 'libfoo1', version: '1.0-1+deb12u1', architecture: 'amd64' }] },
    { suite: 'bookworm-security', packages: [{ name: 'python3', version: '3.11.2-1+deb12u1', architecture: 'amd64', depends: 'libfoo1 (>= 1.0), python3-pythran' }] },
  ],
});
after(() => repo.close());

const request: BaseRequest = {
  distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['python3'],
  mirrors: { mirror: repo.url, securityMirror: repo.url }, keyring: repo.keyring,
};


test('resolveBase pins the highest versions across bookworm, -updates and -security, leaving out excluded packages', async () => {
  const base = await resolveBase(request, { store: await tempStore() });
  assert.equal(base.codename, 'bookworm');
  assert.equal(base.variant, 'distroless');
  assert.equal(base.request, requestHash(request));
  assert.deepEqual(base.repositories.map((r) => `${r.suite} ${r.date}`), [
    'bookworm Tue, 14 Nov 2023 22:13:20 UTC', 'bookworm-updates Tue, 14 Nov 2023 22:13:20 UTC', 'bookworm-security Tue, 14 Nov 2023 22:13:20 UTC',
  ]);
  assert.ok(base.repositories.every((r) => /^sha256:[0-9a-f]{64}$/.test(r.inRelease)));
  assert.deepEqual(base.packages.map((p) => `${p.name}=${p.version}`), [
    'base-files=1', 'ca-certificates=1', 'libfoo1=1.0-1+deb12u1', 'netbase=1', 'python3=3.11.2-1+deb12u1', 'tzdata=1',
  ]);
  assert.deepEqual(base.omitted, [{ name: 'python3-pythran', chain: ['python3', 'python3-pythran'] }], 'a runtime closure by default');
  const python = base.packages.find((p) => p.name === 'python3')!;
  const deb = await readFile(repo.debPath('python3', '3.11.2-1+deb12u1'));
  assert.equal(python.size, deb.length);
  assert.match(python.filename, /^pool\/main\/p\/python3\/python3_3\.11\.2-1\+deb12u1_amd64\.deb$/);
});

test('writeLock and readLock round-trip a stable, sorted TOML lock', async () => {
  const base = await resolveBase(request, { store: await tempStore() });
  const dir = await mkdtemp(join(tmpdir(), 'kiln-lock-'));
  const path = join(dir, 'kiln.lock');
  const shuffled = { ...base, packages: [...base.packages].reverse() };
  await writeLock(path, { version: 1, bases: { zeta: shuffled, python: base } });
  const text = await readFile(path, 'utf8');
  assert.equal(text, formatLock({ version: 1, bases: { python: base, zeta: base } }), 'order of bases and packages does not matter');
  assert.ok(text.indexOf('[[bases.python.packages]]') < text.indexOf('[[bases.zeta.packages]]'));
  assert.match(text, /\[\[bases\.python\.omitted\]\]\nname = "python3-pythran"\nwanted-by = "python3"\n/);
  assert.match(text, /\nname = "libfoo1"\nversion = "1\.0-1\+deb12u1"\narchitecture = "amd64"\nfilename = /);
  assert.deepEqual(await readLock(path), { version: 1, bases: { python: base, zeta: base }, registry: {}, sources: {} });
  // Registry bases are pinned by tag, sorted, and read back.
  const digest = `sha256:${'a'.repeat(64)}`;
  await writeLock(path, { version: 1, bases: {}, registry: { 'registry.test/z:1': { digest }, 'registry.test/a:1': { digest } } });
  assert.match(await readFile(path, 'utf8'), /\[registry\."registry\.test\/a:1"\]\ndigest = "sha256:a+"\n\n\[registry\."registry\.test\/z:1"\]/);
  assert.deepEqual((await readLock(path)).registry, { 'registry.test/a:1': { digest }, 'registry.test/z:1': { digest } });
  assert.deepEqual(await readdir(dir), ['kiln.lock'], 'no temp file left');
  // Sources are pinned by name to a commit and their series, and read back.
  const source = { git: 'https://example.org/up.git', ref: 'v1', commit: 'c'.repeat(40), patches: [{ name: '0001-a.patch', sha256: 'd'.repeat(64) }] };
  await writeLock(path, { version: 1, bases: {}, sources: { up: source } });
  assert.match(await readFile(path, 'utf8'), /\[sources\.up\]\ngit = "https:\/\/example\.org\/up\.git"\nref = "v1"\ncommit = "c{40}"\n\n\[\[sources\.up\.patches\]\]\nname = "0001-a\.patch"/);
  assert.deepEqual((await readLock(path)).sources, { up: source });
  assert.deepEqual(await readdir(dir), ['kiln.lock'], 'no temp file left');
  assert.deepEqual(await readLock(join(dir, 'missing.lock')), { version: 1, bases: {}, registry: {}, sources: {} });
});

test('closure: full keeps build tools and hashes as requests did before closures existed', async () => {
  const full = await resolveBase({ ...request, closure: 'full' }, { store: await tempStore() });
  assert.deepEqual(full.packages.map((p) => p.name), ['base-files', 'ca-certificates', 'gcc', 'libfoo1', 'netbase', 'python3', 'python3-pythran', 'tzdata']);
  assert.equal(full.omitted, undefined);
  assert.notEqual(requestHash({ ...request, closure: 'full' }), requestHash(request));
  assert.equal(requestHash(request), requestHash({ ...request, closure: 'runtime' }));
  assert.throws(() => packagesFromLock(full, request), /out of date/);
});

test('readLock names the file and the bad field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-lock-'));
  const path = join(dir, 'kiln.lock');
  await writeFile(path, 'version = 1\n[bases.x]\ndistro = "arch"\n');
  await assert.rejects(readLock(path), (e) => e instanceof InputError && e.oneLine().startsWith(`${path}: bases.x.distro: `));
  await writeFile(path, 'version = = 1\n');
  await assert.rejects(readLock(path), (e) => e instanceof InputError && e.oneLine().startsWith(`${path}:1`));
});

test('packagesFromLock replays a lock and refuses a changed request or another release', async () => {
  const base = await resolveBase(request, { store: await tempStore() });
  const packages = packagesFromLock(base, request, 'python');
  assert.deepEqual(packages.map((p) => [p.name, p.version, p.mirror]), base.packages.map((p) => [p.name, p.version, repo.url]));
  assert.deepEqual(packages.find((p) => p.name === 'python3')!.control.slice(0, 3), [['Package', 'python3'], ['Version', '3.11.2-1+deb12u1'], ['Architecture', 'amd64']]);

  assert.throws(() => packagesFromLock(base, { ...request, packages: ['python3', 'libfoo1'] }, 'python'), (e) =>
    e instanceof InputError && e.message === 'kiln.lock: base "python" is out of date (its packages, exclusions, variant or mirrors changed); run kiln lock');
  assert.throws(() => packagesFromLock(base, { ...request, variant: 'slim' }, 'python'), InputError);
  assert.throws(() => packagesFromLock(base, { ...request, release: 'trixie' }, 'python'), (e) =>
    e instanceof InputError && e.message === 'kiln.lock: base "python" is locked for debian bookworm, but debian trixie is requested; run kiln lock');
  assert.throws(() => packagesFromLock(base, { ...request, architecture: 'arm64' }, 'python'), (e) =>
    e instanceof InputError && /locked for amd64, but arm64/.test(e.message));
  assert.equal(requestHash({ ...request, packages: ['python3', 'python3'] }), requestHash(request), 'duplicates and order do not matter');
});

test('a bookworm request refuses a mirror that serves a trixie index under that name', async () => {
  const impostor = await createAptRepo({
    suite: 'bookworm', codename: 'trixie', packages: main,
    suites: [{ suite: 'bookworm-updates', codename: 'trixie-updates', packages: [] }, { suite: 'bookworm-security', codename: 'trixie-security', packages: [] }],
  });
  try {
    await assert.rejects(resolveBase({ ...request, mirrors: { mirror: impostor.url, securityMirror: impostor.url } }, { store: await tempStore() }), (e) =>
      e instanceof IntegrityError && e.message === `${impostor.url}/dists/bookworm/InRelease is codename "trixie", expected debian "bookworm"`);
  } finally {
    await impostor.close();
  }
});
