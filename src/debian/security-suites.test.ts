// Security suites as the archives publish them: security.debian.org's Release lists its components as
// `updates/main ...` while the indexes it lists sit under `main/`; Ubuntu's -security pocket shares the
// release's codename. Fixes must land in the lock, and a tampered security index must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError, KilnError } from '../errors.js';
import { createAptRepo, type AptRepo, type AptRepoPackage, type AptRepoSuite } from '../testing/apt-repo.js';
import { runKiln } from '../testing/cli.js';
import { readLock, resolveBase, writeLock, type BaseRequest } from './lock.js';

async function freshStore(): Promise<BlobStore> {
  return new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-store-')));
}

function versions(base: { packages: Array<{ name: string; version: string }> }): string[] {
  return base.packages.map((p) => `${p.name}=${p.version}`);
}

const basics: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase'].map((name) => ({ name, version: '12.4+deb12u1' }));

// bookworm as it stands: the point release, a tzdata fix in -updates, OpenSSL and Python fixes in -security.
const bookworm: AptRepoPackage[] = [
  ...basics,
  { name: 'tzdata', version: '2025b-0+deb12u1' },
  { name: 'python3', version: '3.11.2-1+b1', architecture: 'amd64', depends: 'python3.11 (>= 3.11.2-1~)' },
  { name: 'python3.11', version: '3.11.2-6+deb12u8', architecture: 'amd64', depends: 'libssl3 (>= 3.0.0)' },
  { name: 'libssl3', version: '3.0.20-1~deb12u1', architecture: 'amd64' },
];
const bookwormUpdates: AptRepoPackage[] = [{ name: 'tzdata', version: '2025c-0+deb12u1' }];
const bookwormSecurity: AptRepoPackage[] = [
  { name: 'python3.11', version: '3.11.2-6+deb12u9', architecture: 'amd64', depends: 'libssl3 (>= 3.0.0)' },
  { name: 'libssl3', version: '3.0.22-1~deb12u1', architecture: 'amd64' },
];

async function debianRepo(security: Partial<AptRepoSuite>): Promise<AptRepo> {
  return createAptRepo({
    suite: 'bookworm', architectures: ['amd64'], packages: bookworm,
    suites: [
      { suite: 'bookworm-updates', packages: bookwormUpdates },
      { suite: 'bookworm-security', packages: bookwormSecurity, componentPrefix: 'updates/', ...security },
    ],
  });
}

function debianRequest(repo: AptRepo): BaseRequest {
  return {
    distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['python3'],
    mirrors: { mirror: repo.url, securityMirror: repo.url }, keyring: repo.keyring,
  };
}

const fixed = [
  'base-files=12.4+deb12u1', 'ca-certificates=12.4+deb12u1', 'libssl3=3.0.22-1~deb12u1', 'netbase=12.4+deb12u1',
  'python3=3.11.2-1+b1', 'python3.11=3.11.2-6+deb12u9', 'tzdata=2025c-0+deb12u1',
];

test('bookworm-security laid out like security.debian.org (Components updates/main, indexes under main/) supplies its fixes', async () => {
  const repo = await debianRepo({ indexDirs: ['bare'] });
  try {
    const base = await resolveBase(debianRequest(repo), { store: await freshStore() });
    assert.deepEqual(versions(base), fixed);
    assert.ok(repo.server.requests.includes('/debian/dists/bookworm-security/main/binary-amd64/Packages.xz'), 'the security index is read');

    await repo.tamperPackages('amd64', 'main', 'bookworm-security');
    const url = `${repo.url}/dists/bookworm-security/main/binary-amd64/Packages.xz`;
    await assert.rejects(resolveBase(debianRequest(repo), { store: await freshStore() }), (e) =>
      e instanceof IntegrityError && e.oneLine().startsWith(`${url}: digest mismatch: expected sha256:`) && !e.oneLine().includes('\n'));
  } finally {
    await repo.close();
  }
});

test('a security suite whose Release lists its indexes under updates/main/ (or under both spellings) is read too', async () => {
  for (const indexDirs of [['prefixed'], ['bare', 'prefixed']] as const) {
    const repo = await debianRepo({ indexDirs: [...indexDirs] });
    try {
      const base = await resolveBase(debianRequest(repo), { store: await freshStore() });
      assert.deepEqual(versions(base), fixed, indexDirs.join('+'));
      const dir = indexDirs.length === 1 ? 'updates/main' : 'main';
      assert.ok(repo.server.requests.includes(`/debian/dists/bookworm-security/${dir}/binary-amd64/Packages.xz`), indexDirs.join('+'));

      await repo.tamperPackages('amd64', dir, 'bookworm-security');
      await assert.rejects(resolveBase(debianRequest(repo), { store: await freshStore() }), (e) =>
        e instanceof IntegrityError && e.oneLine().startsWith(`${repo.url}/dists/bookworm-security/${dir}/binary-amd64/Packages.xz: digest mismatch`));
    } finally {
      await repo.close();
    }
  }
});

test('a requested component a suite does not carry in any spelling is one error naming suite and component', async () => {
  const repo = await debianRepo({ components: ['contrib', 'non-free-firmware'] });
  try {
    await assert.rejects(resolveBase(debianRequest(repo), { store: await freshStore() }), (e) =>
      e instanceof InputError && e.oneLine()
        === `suite bookworm-security has no component "main" (${repo.url}/dists/bookworm-security/InRelease lists updates/contrib updates/non-free-firmware)`);
  } finally {
    await repo.close();
  }
});

// Ubuntu: every pocket's Release says Codename: noble, Suite: noble-<pocket>, Components: main restricted universe multiverse.
const UBUNTU_COMPONENTS = ['main', 'restricted', 'universe', 'multiverse'];
const noble: AptRepoPackage[] = [
  ...['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' })),
  { name: 'python3', version: '3.12.3-0ubuntu2', architecture: 'amd64', depends: 'python3.12, libssl3t64' },
  { name: 'python3.12', version: '3.12.3-1', architecture: 'amd64' },
  { name: 'libssl3t64', version: '3.0.13-0ubuntu3', architecture: 'amd64' },
  { name: 'python3-pip', version: '24.0+dfsg-1ubuntu1', component: 'universe' },
];
const nobleUpdates: AptRepoPackage[] = [
  { name: 'python3.12', version: '3.12.3-1ubuntu0.8', architecture: 'amd64' },
  { name: 'libssl3t64', version: '3.0.13-0ubuntu3.5', architecture: 'amd64' },
];
const nobleSecurity: AptRepoPackage[] = [
  { name: 'python3.12', version: '3.12.3-1ubuntu0.9', architecture: 'amd64' },
  { name: 'libssl3t64', version: '3.0.13-0ubuntu3.6', architecture: 'amd64' },
  { name: 'python3-pip', version: '24.0+dfsg-1ubuntu1.3', component: 'universe' },
];

async function ubuntuRepo(securityComponents = UBUNTU_COMPONENTS): Promise<AptRepo> {
  return createAptRepo({
    distro: 'ubuntu', origin: 'Ubuntu', suite: 'noble', codename: 'noble', architectures: ['amd64'],
    components: UBUNTU_COMPONENTS, packages: noble,
    suites: [
      { suite: 'noble-updates', codename: 'noble', packages: nobleUpdates },
      { suite: 'noble-security', codename: 'noble', packages: nobleSecurity, components: securityComponents },
    ],
  });
}

function ubuntuRequest(repo: AptRepo): BaseRequest {
  return { distro: 'ubuntu', release: 'noble', architecture: 'amd64', packages: ['python3', 'python3-pip'], mirrors: { mirror: repo.url }, keyring: repo.keyring };
}

test('Ubuntu noble-security (codename noble, main and universe) supplies its fixes; a tampered security index is refused', async () => {
  const repo = await ubuntuRepo();
  try {
    const base = await resolveBase(ubuntuRequest(repo), { store: await freshStore() });
    assert.deepEqual(base.repositories.map((r) => r.suite), ['noble', 'noble-updates', 'noble-security']);
    assert.deepEqual(versions(base), [
      'base-files=1', 'ca-certificates=1', 'libssl3t64=3.0.13-0ubuntu3.6', 'netbase=1', 'python3=3.12.3-0ubuntu2',
      'python3-pip=24.0+dfsg-1ubuntu1.3', 'python3.12=3.12.3-1ubuntu0.9', 'tzdata=1',
    ]);

    await repo.tamperPackages('amd64', 'universe', 'noble-security');
    const url = `${repo.url}/dists/noble-security/universe/binary-amd64/Packages.xz`;
    await assert.rejects(resolveBase(ubuntuRequest(repo), { store: await freshStore() }), (e) =>
      e instanceof KilnError && e instanceof IntegrityError && e.oneLine().startsWith(`${url}: digest mismatch: expected sha256:`));
  } finally {
    await repo.close();
  }
});

test('an Ubuntu pocket without universe is one error, not a silently older python3-pip', async () => {
  const repo = await ubuntuRepo(['main', 'restricted']);
  try {
    await assert.rejects(resolveBase(ubuntuRequest(repo), { store: await freshStore() }), (e) =>
      e instanceof InputError && e.oneLine()
        === `suite noble-security has no component "universe" (${repo.url}/dists/noble-security/InRelease lists main restricted)`);
  } finally {
    await repo.close();
  }
});

test('a kiln.lock written without -updates and -security (by an older kiln) is refused in one line; kiln lock pins the fixes', async () => {
  const repo = await debianRepo({ indexDirs: ['bare'] });
  const dir = await mkdtemp(join(tmpdir(), 'kiln-old-lock-'));
  try {
    await writeFile(join(dir, 'kiln.yaml'), `images:
  server:
    base: {distro: debian, release: bookworm, packages: [python3], mirror: ${repo.url}, security_mirror: ${repo.url}, keyring: ${repo.keyring}}
    cmd: [python3]
`);
    const env = { KILN_CACHE_DIR: join(dir, '.cache') };
    const locked = await runKiln(['lock', dir], { env });
    assert.equal(locked.code, 0, locked.stderr);
    // What an older kiln wrote: the same request, the main suite only, and the main suite's libssl3.
    const lockFile = join(dir, 'kiln.lock');
    const lock = await readLock(lockFile);
    const current = lock.bases.server!;
    const mainOnly = { ...current, repositories: current.repositories.filter((r) => r.suite === 'bookworm') };
    const stale = bookworm.find((p) => p.name === 'libssl3')!;
    await writeLock(lockFile, { ...lock, bases: { server: { ...mainOnly, packages: mainOnly.packages.map((p) => (p.name === 'libssl3' ? { ...p, version: stale.version } : p)) } } });

    const message = 'kiln: kiln.lock: base "server" was locked without bookworm-updates and bookworm-security, so it misses security updates; run kiln lock\n';
    for (const command of [['plan', dir], ['build', dir, '-q', '-o', `oci:${join(dir, 'out')}`]]) {
      const refused = await runKiln(command, { env });
      assert.notEqual(refused.code, 0, command[0]);
      assert.equal(refused.stderr, message, `${command[0]}: ${refused.stderr}`);
    }
    const relocked = await runKiln(['lock', dir], { env });
    assert.equal(relocked.code, 0, relocked.stderr);
    assert.ok(versions((await readLock(lockFile)).bases.server!).includes('libssl3=3.0.22-1~deb12u1'));
    assert.match(await readFile(lockFile, 'utf8'), /suite = "bookworm-security"/);
  } finally {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  }
});
