import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError } from '../errors.js';
import { createAptRepo, type AptRepoPackage } from '../testing/apt-repo.js';
import { fetchPackagesIndex, parsePackages, toRecord, type PackageRecord } from './packages-index.js';
import { parseDeb822 } from './deb822.js';
import { fetchRelease } from './release.js';

const packages: AptRepoPackage[] = [
  { name: 'libfoo1', version: '1.2-3', architecture: 'amd64', multiArch: 'same', source: 'foo (1.2-2)', files: { 'usr/lib/libfoo.so.1': 'x' } },
  { name: 'foo-tools', version: '1.2-3', depends: 'libfoo1 (>= 1.2), python3:any', provides: 'foo-cli (= 1.2)' },
  { name: 'libfoo1', version: '1.2-3', architecture: 'arm64', multiArch: 'same' },
];
const repo = await createAptRepo({ packages });
after(() => repo.close());

async function freshStore(): Promise<BlobStore> {
  return new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-store-')));
}

test('fetchPackagesIndex takes the verified Packages.xz, caches it and parses records', async () => {
  const store = await freshStore();
  const release = await fetchRelease(repo.source());
  const index = await fetchPackagesIndex(release, 'main', 'amd64', store);
  assert.equal(index.url, `${repo.url}/dists/kiln-test/main/binary-amd64/Packages.xz`);
  assert.equal(await store.has(`sha256:${index.sha256}`), true);
  assert.deepEqual(index.packages.map((p) => [p.name, p.version, p.architecture]), [
    ['libfoo1', '1.2-3', 'amd64'],
    ['foo-tools', '1.2-3', 'all'],
  ]);
  const [lib, tools] = index.packages;
  assert.equal(lib!.multiArch, 'same');
  assert.equal(lib!.source, 'foo (1.2-2)');
  assert.equal(lib!.mirror, repo.url);
  assert.equal(lib!.suite, 'kiln-test');
  assert.equal(tools!.depends, 'libfoo1 (>= 1.2), python3:any');
  assert.equal(tools!.provides, 'foo-cli (= 1.2)');
  assert.match(tools!.filename, /^pool\/main\/f\/foo-tools\/foo-tools_1\.2-3_all\.deb$/);
  assert.equal(tools!.stanza.get('SHA256'), tools!.sha256);

  const before = repo.server.requests.length;
  await fetchPackagesIndex(release, 'main', 'amd64', store);
  assert.equal(repo.server.requests.length, before, 'a cached index is not downloaded again');

  // The decompressed index is kept under the digest the Release lists for the plain Packages, and read from there:
  // with the stored .xz made unreadable, the index still comes back.
  const plain = release.release.files.get('main/binary-amd64/Packages')!;
  assert.equal(await store.has(`sha256:${plain.sha256}`), true);
  await writeFile(store.path(`sha256:${index.sha256}`), 'not xz');
  assert.deepEqual((await fetchPackagesIndex(release, 'main', 'amd64', store)).packages.map((p) => p.name), ['libfoo1', 'foo-tools']);
});

test('fetchPackagesIndex falls back to Packages.gz when the mirror lacks the .xz', async () => {
  const release = await fetchRelease(repo.source());
  repo.server.failNext('/debian/dists/kiln-test/main/binary-arm64/Packages.xz', 404);
  const index = await fetchPackagesIndex(release, 'main', 'arm64', await freshStore());
  assert.equal(index.url, `${repo.url}/dists/kiln-test/main/binary-arm64/Packages.gz`);
  assert.deepEqual(index.packages.map((p) => `${p.name}:${p.architecture}`), ['foo-tools:all', 'libfoo1:arm64']);

  const gzOnly = await createAptRepo({ packages, indexes: ['gz'] });
  try {
    const only = await fetchPackagesIndex(await fetchRelease(gzOnly.source()), 'main', 'amd64', await freshStore());
    assert.match(only.url, /Packages\.gz$/);
    assert.equal(only.packages.length, 2);
  } finally {
    await gzOnly.close();
  }
});

test('a tampered Packages index is refused before parsing, naming the file, and not cached', async () => {
  const tampered = await createAptRepo({ packages });
  try {
    const release = await fetchRelease(tampered.source());
    await tampered.tamperPackages('amd64');
    const store = await freshStore();
    const url = `${tampered.url}/dists/kiln-test/main/binary-amd64/Packages.xz`;
    await assert.rejects(fetchPackagesIndex(release, 'main', 'amd64', store), (e) =>
      e instanceof IntegrityError && e.message.startsWith(`${url}: digest mismatch: expected sha256:`));
    assert.equal(await store.has(`sha256:${release.release.files.get('main/binary-amd64/Packages.xz')!.sha256}`), false);
  } finally {
    await tampered.close();
  }
});

test('an index the Release does not list is an InputError', async () => {
  const release = await fetchRelease(repo.source());
  await assert.rejects(fetchPackagesIndex(release, 'main', 'riscv64', await freshStore()), (e) =>
    e instanceof InputError && e.message === `${release.url} lists no Packages index for main/binary-riscv64`);
});

test('parsePackages names the index and line of a stanza missing a field', () => {
  assert.throws(() => parsePackages('Package: a\nVersion: 1\nArchitecture: all\n', 'http://m', 's', 'Packages'), (e) =>
    e instanceof InputError && e.message === 'Packages:1: package stanza has no Filename');
});

test('fetchPackagesIndex finds main in a Release that lists it as updates/main, and refuses a component it lacks', async () => {
  const security = await createAptRepo({
    packages: [], suites: [{ suite: 'kiln-security', packages, componentPrefix: 'updates/', indexDirs: ['bare'] }],
  });
  try {
    const release = await fetchRelease(security.source({ suite: 'kiln-security' }));
    assert.deepEqual(release.release.components, ['updates/main']);
    const index = await fetchPackagesIndex(release, 'main', 'amd64', await freshStore());
    assert.equal(index.url, `${security.url}/dists/kiln-security/main/binary-amd64/Packages.xz`);
    assert.deepEqual(index.packages.map((p) => p.name), ['libfoo1', 'foo-tools']);
    await assert.rejects(fetchPackagesIndex(release, 'contrib', 'amd64', await freshStore()), (e) =>
      e instanceof InputError && e.message === `suite kiln-security has no component "contrib" (${release.url} lists updates/main)`);
  } finally {
    await security.close();
  }
});

// The records parsePackages reads straight off the lines are those of the general deb822 parser, stanza included.
test('parsePackages reads an archive index as the deb822 parser does, stanza fields and lines included', () => {
  const text = [
    'Package: libfoo1\nSource: foo (1.2-3)\nVersion: 1.2-3+b1\nInstalled-Size: 120\nMaintainer: A <a@example.org>\nArchitecture: amd64\nMulti-Arch: same\nDepends: libc6 (>= 2.34),\n libbar2\nDescription: foo library\n A longer text\n .\n with a paragraph.\nPriority: optional\nFilename: pool/main/f/foo/libfoo1_1.2-3+b1_amd64.deb\nSize: 4242\nSHA256: ' + 'a'.repeat(64),
    'package: base-files\nversion: 12.4\narchitecture: amd64\nessential: yes\npriority: required\nprovides: base\nFILENAME: pool/main/b/base-files/base-files_12.4_amd64.deb\nSize: 70\nSHA256: ' + 'b'.repeat(64) + '\nSize: 71',
  ].join('\n\n\n') + '\n';
  const fast = parsePackages(text, 'http://m', 's', 'Packages');
  const general = parseDeb822(text, 'Packages').map((stanza) => toRecord(stanza, 'http://m', 's', 'Packages'));
  const plain = (record: PackageRecord) => ({ ...record, stanza: { fields: record.stanza.fields, line: record.stanza.line } });
  assert.deepEqual(fast.map(plain), general.map(plain));
  assert.equal(fast[0]!.depends, 'libc6 (>= 2.34),\n libbar2');
  assert.deepEqual([fast[1]!.size, fast[1]!.essential, fast[1]!.priority, fast[1]!.stanza.line], [71, true, 'required', 20]);
});

test('parsePackages reports a line that is not a field at its file:line, as the deb822 parser does', () => {
  assert.throws(() => parsePackages('Package: a\nVersion: 1\n\nPackage: b\nnot a field\n', 'http://m', 's', 'Packages'), (e) =>
    e instanceof InputError && e.where?.line === 5 && /expected "Field: value"/.test(e.message));
});
