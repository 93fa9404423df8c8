import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlobStore } from '../cache/blob-store.js';
import { InputError, KilnError } from '../errors.js';
import { buildLayer } from '../layer/build.js';
import { appendLayers, emptyImage } from '../oci/mutate.js';
import type { Image } from '../oci/image.js';
import type { TarEntry } from '../tar/entry.js';
import { fileEntries, tempStore } from '../testing/images.js';
import { debsFromStatus, imageEpoch, inventoryFromImage, parseCoreMetadata, parseOsRelease } from './from-layers.js';

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

function stanza(name: string, version: string, extra: Record<string, string> = {}, status = 'install ok installed'): string {
  const fields = { Package: name, Status: status, Architecture: 'amd64', Version: version, ...extra };
  return Object.entries(fields).map(([key, value]) => `${key}: ${value}\n`).join('');
}

function metadata(name: string, version: string): string {
  return `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: x\n\nName: not-a-header\n`;
}

async function image(store: BlobStore, ...layers: TarEntry[][]): Promise<Image> {
  const additions = [];
  for (const [i, entries] of layers.entries()) {
    const built = await buildLayer(entries, { store, epoch: 0 });
    additions.push({ layer: built.layer, history: { created: '1970-01-01T00:00:00Z', created_by: `layer ${i}` } });
  }
  return appendLayers(emptyImage(), ...additions);
}

test('inventoryFromImage: dpkg status (installed only), status.d, Source with a version, venv and /usr/local dist-info with RECORD', async () => {
  const store = await tempStore();
  const venv = 'opt/venv/lib/python3.11/site-packages';
  const img = await image(store, fileEntries({
    'usr/lib/os-release': OS_RELEASE,
    'var/lib/dpkg/status': [
      stanza('libssl3', '3.0.15-1~deb12u1', { Source: 'openssl' }),
      stanza('libbz2-1.0', '1.0.8-5+b1', { Source: 'bzip2 (1.0.8-5)' }),
      stanza('old-lib', '1.0', {}, 'deinstall ok config-files'),
    ].join('\n'),
    'var/lib/dpkg/status.d/tzdata': stanza('tzdata', '2024a-0+deb12u1', { Architecture: 'all' }),
    'var/lib/dpkg/status.d/tzdata.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  usr/share/zoneinfo/UTC\n',
    [`${venv}/Flask_Cors-4.0.1.dist-info/METADATA`]: metadata('Flask_Cors', '4.0.1'),
    [`${venv}/Flask_Cors-4.0.1.dist-info/RECORD`]: '',
    'usr/local/lib/python3.11/dist-packages/six-1.16.0.dist-info/METADATA': metadata('six', '1.16.0'),
    'usr/local/lib/python3.11/dist-packages/six-1.16.0.dist-info/RECORD': '',
    // No RECORD: not installed, to pip.
    [`${venv}/half-1.0.dist-info/METADATA`]: metadata('half', '1.0'),
    // Vendored inside another package, not an installed distribution.
    [`${venv}/setuptools/_vendor/packaging-24.0.dist-info/METADATA`]: metadata('packaging', '24.0'),
    [`${venv}/setuptools/_vendor/packaging-24.0.dist-info/RECORD`]: '',
    // Debian's python3-pip: listed as its .deb, not a second time as pkg:pypi.
    'usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA': metadata('pip', '23.0.1'),
    'usr/lib/python3/dist-packages/pip-23.0.1.dist-info/RECORD': '',
  }));
  const inventory = await inventoryFromImage(img, { name: 'oci:x' });
  assert.deepEqual(inventory, {
    name: 'oci:x',
    imageDigest: await img.digest(),
    os: { id: 'debian', versionId: '12' },
    debs: [
      { name: 'libbz2-1.0', version: '1.0.8-5+b1', architecture: 'amd64', source: 'bzip2', sourceVersion: '1.0.8-5' },
      { name: 'libssl3', version: '3.0.15-1~deb12u1', architecture: 'amd64', source: 'openssl' },
      { name: 'tzdata', version: '2024a-0+deb12u1', architecture: 'all', source: 'tzdata' },
    ],
    python: [{ name: 'Flask_Cors', version: '4.0.1' }, { name: 'six', version: '1.16.0' }],
  });
});

test('inventoryFromImage: upper layers remove with whiteouts and opaque folders, and replace files', async () => {
  const store = await tempStore();
  const site = 'opt/venv/lib/python3.11/site-packages';
  const dist = (name: string, version: string): Record<string, string> => ({
    [`${site}/${name}-${version}.dist-info/METADATA`]: metadata(name, version),
    [`${site}/${name}-${version}.dist-info/RECORD`]: '',
  });
  const img = await image(store,
    fileEntries({ 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': stanza('libc6', '2.36-9'), ...dist('gone', '1.0'), ...dist('kept', '1.0'), 'srv/lib/site-packages/a-1.dist-info/METADATA': metadata('a', '1'), 'srv/lib/site-packages/a-1.dist-info/RECORD': '' }),
    [
      // pip uninstalled gone; a newer status replaces the old one; an opaque /srv hides everything below it.
      { path: `${site}/gone-1.0.dist-info`, type: 'whiteout', mode: 0 },
      { path: 'srv', type: 'opaque-whiteout', mode: 0 },
      ...fileEntries({ 'var/lib/dpkg/status': stanza('libc6', '2.36-9+deb12u7'), 'srv/new.txt': 'x' }),
    ],
    // A RECORD whited out on its own: the dist-info left is not an installed distribution any more.
    [{ path: `${site}/kept-1.0.dist-info/RECORD`, type: 'whiteout', mode: 0 }, ...fileEntries(dist('late', '2.0'))],
  );
  const inventory = await inventoryFromImage(img, { name: 'x' });
  assert.deepEqual(inventory.debs.map((deb) => `${deb.name}=${deb.version}`), ['libc6=2.36-9+deb12u7']);
  assert.deepEqual(inventory.python, [{ name: 'late', version: '2.0' }]);
});

test('inventoryFromImage: a status whited out leaves no database; an image without one is one InputError', async () => {
  const store = await tempStore();
  const empty = await image(store, fileEntries({ 'etc/os-release': OS_RELEASE, 'app/server.py': 'print(1)' }));
  await assert.rejects(inventoryFromImage(empty, { name: 'oci:out:app' }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.oneLine(), 'oci:out:app: no package database found (no dpkg status, no dist-info)');
    return true;
  });
  const removed = await image(store, fileEntries({ 'var/lib/dpkg/status': stanza('libc6', '2.36-9') }), [{ path: 'var/lib/dpkg', type: 'whiteout', mode: 0 }]);
  await assert.rejects(inventoryFromImage(removed, { name: 'x' }), /no package database found/);
});

test('inventoryFromImage: a corrupt dpkg status names the file and line', async () => {
  const store = await tempStore();
  const img = await image(store, fileEntries({ 'var/lib/dpkg/status': `${stanza('libc6', '2.36-9')}\nPackage: zlib1g\nthis line has no colon\n` }));
  await assert.rejects(inventoryFromImage(img, { name: 'x' }), (error: unknown) => {
    assert.ok(error instanceof KilnError);
    assert.equal(error.oneLine(), 'x: var/lib/dpkg/status:7: expected "Field: value", got "this line has no colon"');
    return true;
  });
});

test('debsFromStatus: Status required in dpkg status, optional in status.d; missing fields are errors at the stanza', () => {
  const noStatus = 'Package: a\nVersion: 1\nArchitecture: all\n';
  assert.deepEqual(debsFromStatus(noStatus, 'var/lib/dpkg/status', true), []);
  assert.deepEqual(debsFromStatus(noStatus, 'var/lib/dpkg/status.d/a', false), [{ name: 'a', version: '1', architecture: 'all', source: 'a' }]);
  assert.deepEqual(debsFromStatus(stanza('a', '1', { Source: 'src (1)' }), 'f', true), [{ name: 'a', version: '1', architecture: 'amd64', source: 'src' }]);
  assert.throws(() => debsFromStatus('Package: a\nStatus: install ok installed\n', 'f', true), /^InputError: package a: no Version field$/);
  assert.throws(() => debsFromStatus(stanza('a', '1', { Source: 'src (1' }), 'f', true), /malformed Source field "src \(1"/);
});

test('parseCoreMetadata and parseOsRelease read headers, quotes and the first value only', () => {
  assert.deepEqual(parseCoreMetadata(metadata('Demo', '1.0'), 'm'), { name: 'Demo', version: '1.0' });
  assert.deepEqual(parseCoreMetadata('Name: a\r\nVersion: 2\r\n', 'm'), { name: 'a', version: '2' });
  assert.throws(() => parseCoreMetadata('Name: a\n\nVersion: 1\n', 'x/METADATA'), /^InputError: x\/METADATA: no Version header$/);
  const fields = parseOsRelease(`${OS_RELEASE}# comment\nNAME='Ubuntu'\nESCAPED="a \\"b\\""\n`);
  assert.equal(fields.get('VERSION_ID'), '12');
  assert.equal(fields.get('NAME'), 'Ubuntu');
  assert.equal(fields.get('ESCAPED'), 'a "b"');
});

test('imageEpoch: SOURCE_DATE_EPOCH wins, else the config\'s created time, else kiln\'s default', () => {
  assert.equal(imageEpoch({ created: '2024-01-02T03:04:05.9Z' }, {}), 1704164645);
  assert.equal(imageEpoch({ created: '2024-01-02T03:04:05Z' }, { SOURCE_DATE_EPOCH: '7' }), 7);
  assert.equal(imageEpoch({ created: '0001-01-01T00:00:00Z' }, {}), 315532800);
  assert.equal(imageEpoch({}, {}), 315532800);
});

test('inventoryFromImage: os-release through Debian\'s symlink; hard-linked metadata is read through its target', async () => {
  const store = await tempStore();
  const site = 'usr/local/lib/python3.11/site-packages';
  const img = await image(store, [
    { path: 'etc/os-release', type: 'symlink', mode: 0o777, linkTarget: '../usr/lib/os-release' },
    // The first copy has no RECORD (not installed); the hard link beside a RECORD is, and reads the shared bytes.
    ...fileEntries({ 'usr/lib/os-release': 'ID=ubuntu\nVERSION_ID="24.04"\n', 'srv/site-packages/a-1.dist-info/METADATA': metadata('a', '1'), [`${site}/a-1.dist-info/RECORD`]: '' }),
    { path: `${site}/a-1.dist-info/METADATA`, type: 'hardlink', mode: 0o644, linkTarget: 'srv/site-packages/a-1.dist-info/METADATA' },
  ]);
  const inventory = await inventoryFromImage(img, { name: 'x' });
  assert.deepEqual(inventory.os, { id: 'ubuntu', versionId: '24.04' });
  assert.deepEqual(inventory.python, [{ name: 'a', version: '1' }]);
});
