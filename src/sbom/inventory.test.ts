import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { testImagePlan } from '../testing/plans.js';
import { installedPackages, inventoryFromPlan, osvEcosystem, type Inventory } from './inventory.js';

const hex = (c: string): string => c.repeat(64);

test('a pinned distro entry lists its .debs under the release OSV names, keyed by source package', () => {
  const entry = testImagePlan({
    name: 'server',
    pinned: {
      base: {
        kind: 'distro', lockName: 'server', codename: 'bookworm', packages: [
          { name: 'libssl3', version: '3.0.17-1~deb12u2', architecture: 'amd64', filename: 'pool/main/o/openssl/libssl3.deb', sha256: hex('a'), size: 1, source: 'openssl', mirror: 'http://deb.debian.org/debian' },
          { name: 'tzdata', version: '2025b-0+deb12u1', architecture: 'all', filename: 'pool/main/t/tzdata/tzdata.deb', sha256: hex('b'), size: 1, mirror: 'http://deb.debian.org/debian' },
        ],
      },
      app: { dir: '/work/app', dest: '/app', digest: `sha256:${hex('c')}` },
    },
  });
  const inventory = inventoryFromPlan(entry);
  assert.deepEqual(inventory.os, { id: 'debian', versionId: '12' });
  assert.equal(inventory.appDigest, `sha256:${hex('c')}`);
  assert.deepEqual(installedPackages(inventory), [
    { ecosystem: 'Debian:12', name: 'libssl3', version: '3.0.17-1~deb12u2', source: 'openssl' },
    { ecosystem: 'Debian:12', name: 'tzdata', version: '2025b-0+deb12u1', source: 'tzdata' },
  ]);
});

test('a Source field with a version in brackets (binNMUs) splits into the source package and its version', () => {
  const entry = testImagePlan({
    name: 'server',
    pinned: {
      base: {
        kind: 'distro', lockName: 'server', codename: 'bookworm', packages: [
          { name: 'libbz2-1.0', version: '1.0.8-5+b1', architecture: 'amd64', filename: 'pool/main/b/bzip2/libbz2-1.0.deb', sha256: hex('a'), size: 1, source: 'bzip2 (1.0.8-5)', mirror: 'http://deb.debian.org/debian' },
        ],
      },
    },
  });
  assert.deepEqual(installedPackages(inventoryFromPlan(entry)), [
    { ecosystem: 'Debian:12', name: 'libbz2-1.0', version: '1.0.8-5+b1', source: 'bzip2', sourceVersion: '1.0.8-5' },
  ]);
});

test('OSV ecosystems: Debian by major version, Ubuntu by year.month, others unknown', () => {
  assert.equal(osvEcosystem({ id: 'debian', versionId: '13' }), 'Debian:13');
  assert.equal(osvEcosystem({ id: 'ubuntu', versionId: '24.04' }), 'Ubuntu:24.04');
  assert.equal(osvEcosystem({ id: 'alpine', versionId: '3.20' }), undefined);
  assert.equal(osvEcosystem({ id: 'debian', versionId: 'trixie/sid' }), undefined);
});

test('Debian packages of a release OSV does not know cannot be scanned: an error, not an empty result', () => {
  const inventory: Inventory = { name: 'odd', os: { id: 'alpine', versionId: '3.20' }, debs: [{ name: 'a', version: '1', architecture: 'amd64', source: 'a' }], python: [] };
  assert.throws(() => installedPackages(inventory), (e: unknown) => e instanceof InputError && e.message === 'odd: its Debian packages come from alpine 3.20, which OSV has no advisories for');
  assert.deepEqual(installedPackages({ name: 'py', debs: [], python: [{ name: 'NumPy', version: '1.26.4' }] }), [{ ecosystem: 'PyPI', name: 'NumPy', version: '1.26.4' }]);
});
