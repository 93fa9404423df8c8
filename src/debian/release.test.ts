import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, IntegrityError } from '../errors.js';
import { createAptRepo } from '../testing/apt-repo.js';
import { componentDirs, fetchRelease, parseRelease } from './release.js';

const packages = [{ name: 'tool', version: '1.0-1', files: { 'usr/bin/tool': 'tool\n' } }];
const repo = await createAptRepo({ packages, suite: 'kiln-stable', codename: 'kiln', validUntil: new Date('2040-01-01T00:00:00Z') });
after(() => repo.close());

test('fetchRelease verifies InRelease against a binary or armored keyring and parses it', async () => {
  for (const keyring of [repo.keyring, repo.armoredKeyring]) {
    const fetched = await fetchRelease(repo.source({ keyring }));
    const { release } = fetched;
    assert.equal(fetched.url, `${repo.url}/dists/kiln-stable/InRelease`);
    assert.equal(release.origin, 'kiln-test');
    assert.equal(release.suite, 'kiln-stable');
    assert.equal(release.codename, 'kiln');
    assert.equal(release.date, 'Tue, 14 Nov 2023 22:13:20 UTC');
    assert.equal(release.validUntil, 'Sun, 01 Jan 2040 00:00:00 UTC');
    assert.deepEqual(release.architectures, ['amd64', 'arm64']);
    assert.deepEqual(release.components, ['main']);
    const xz = await readFile(join(repo.dir, 'dists/kiln-stable/main/binary-arm64/Packages.xz'));
    assert.equal(release.files.get('main/binary-arm64/Packages.xz')?.size, xz.length);
    assert.equal(release.files.size, 6);
    assert.match(fetched.sha256, /^[0-9a-f]{64}$/);
  }
});

test('a source may name the codename instead of the suite, but not another suite', async () => {
  // Debian publishes dists/stable and dists/bookworm for the same Release; a mirror serving one under another name is refused.
  await cp(join(repo.dir, 'dists/kiln-stable'), join(repo.dir, 'dists/kiln'), { recursive: true });
  await cp(join(repo.dir, 'dists/kiln-stable'), join(repo.dir, 'dists/kiln-oldstable'), { recursive: true });
  assert.equal((await fetchRelease(repo.source({ suite: 'kiln' }))).release.suite, 'kiln-stable');
  await assert.rejects(fetchRelease(repo.source({ suite: 'kiln-oldstable' })), (e) =>
    e instanceof IntegrityError && e.message === `${repo.url}/dists/kiln-oldstable/InRelease is for suite "kiln-stable" (codename "kiln"), not "kiln-oldstable"`);
});

test('an expired Release is refused', async () => {
  await assert.rejects(fetchRelease(repo.source(), { now: new Date('2041-01-01T00:00:00Z') }), (e) =>
    e instanceof IntegrityError && e.message === `${repo.url}/dists/kiln-stable/InRelease expired on Sun, 01 Jan 2040 00:00:00 UTC (a mirror may be serving stale metadata)`);
});

test('a key not in the keyring is refused, naming the URL', async () => {
  await assert.rejects(fetchRelease(repo.source({ keyring: repo.strangerKeyring })), (e) =>
    e instanceof IntegrityError && e.message === `${repo.url}/dists/kiln-stable/InRelease is signed by a key that is not in ${repo.strangerKeyring}`);
});

test('an unsigned InRelease is refused', async () => {
  const unsigned = await createAptRepo({ packages, signed: false });
  try {
    await assert.rejects(fetchRelease(unsigned.source()), (e) =>
      e instanceof IntegrityError && e.message === `${unsigned.url}/dists/kiln-test/InRelease is not signed (no OpenPGP cleartext signature)`);
  } finally {
    await unsigned.close();
  }
});

test('an edited InRelease has a bad signature', async () => {
  const edited = await createAptRepo({ packages });
  try {
    await edited.tamperInRelease();
    await assert.rejects(fetchRelease(edited.source()), (e) =>
      e instanceof IntegrityError && e.message.startsWith(`${edited.url}/dists/kiln-test/InRelease: bad signature`));
  } finally {
    await edited.close();
  }
});

test('a missing or broken keyring is an InputError naming it', async () => {
  await assert.rejects(fetchRelease(repo.source({ keyring: '/nonexistent/keyring.gpg' })), (e) =>
    e instanceof InputError && e.message.startsWith('keyring /nonexistent/keyring.gpg: ENOENT'));
});

test('parseRelease rejects a malformed hash list', () => {
  assert.throws(() => parseRelease('Suite: x\nSHA256:\n nothex 12 main/Packages\n', 'Release'), (e) =>
    e instanceof InputError && e.message === 'Release: malformed SHA256 entry "nothex 12 main/Packages"');
});

test('componentDirs reads a Components entry like updates/main as main too, the way apt does', () => {
  const security = { components: ['updates/main', 'updates/contrib', 'updates/non-free-firmware', 'updates/non-free'] };
  assert.deepEqual(componentDirs(security, 'main'), ['main', 'updates/main']);
  assert.deepEqual(componentDirs(security, 'updates/main'), ['updates/main', 'main']);
  assert.deepEqual(componentDirs(security, 'universe'), []);
  assert.deepEqual(componentDirs({ components: ['main', 'restricted', 'universe', 'multiverse'] }, 'universe'), ['universe']);
  assert.deepEqual(componentDirs({ components: ['main'] }, 'updates/main'), [], 'a plain main does not stand for updates/main');
  assert.deepEqual(componentDirs({ components: [] }, 'main'), ['main'], 'no Components field: whatever the Release lists files for');
});
