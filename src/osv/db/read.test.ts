import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { tempDir } from '../../testing/images.js';
import { fixtureRecords, writeZip } from '../../testing/osv.js';
import type { InstalledPackage } from '../match.js';
import { openDatabaseAt, readRecords } from './read.js';

const PACKAGES: InstalledPackage[] = [
  { ecosystem: 'Debian:12', name: 'libssl3', version: '3.0.9-1', source: 'openssl' },
  { ecosystem: 'Debian:12', name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' },
  { ecosystem: 'PyPI', name: 'Requests', version: '2.30.0' },
];

test('a single export zip: only records naming a scanned package are kept, with only their matching affected entries', async () => {
  const path = join(await tempDir(), 'osv.zip');
  await writeZip(path, await fixtureRecords());
  const read = await readRecords(await openDatabaseAt(path, ['Debian:12', 'PyPI']), PACKAGES);
  assert.equal(read.read, 6);
  assert.deepEqual(read.records.map((record) => record.id).sort(), ['DEBIAN-CVE-2023-45853', 'DEBIAN-CVE-2023-5363', 'DSA-5532-1', 'GHSA-j8r2-6x86-q33q']);
  const zlib = read.records.find((record) => record.id === 'DEBIAN-CVE-2023-45853')!;
  assert.deepEqual(zlib.affected.map((affected) => affected.package.ecosystem), ['Debian:12'], 'the bullseye entry is dropped');
});

test('a folder of exports named by ecosystem (flat or as the bucket lays them out), and a folder of JSON records', async () => {
  const records = await fixtureRecords();
  const exports = await tempDir();
  await mkdir(join(exports, 'PyPI'));
  await writeZip(join(exports, 'Debian:12.zip'), records.filter((record) => !record.name.startsWith('GHSA')));
  await writeZip(join(exports, 'PyPI', 'all.zip'), records.filter((record) => record.name.startsWith('GHSA')));
  const db = await openDatabaseAt(exports, ['Debian:12', 'PyPI']);
  assert.deepEqual(db.files.map((file) => file.path), [join(exports, 'Debian:12.zip'), join(exports, 'PyPI', 'all.zip')]);
  assert.equal((await readRecords(db, PACKAGES)).records.length, 4);

  const loose = await tempDir();
  for (const record of records) await writeFile(join(loose, record.name), record.data);
  assert.equal((await readRecords(await openDatabaseAt(loose, ['Debian:12', 'PyPI']), PACKAGES)).records.length, 4);
});

test('a folder without an export for a scanned ecosystem says which file it expected', async () => {
  const exports = await tempDir();
  await writeZip(join(exports, 'PyPI.zip'), (await fixtureRecords()).filter((record) => record.name.startsWith('GHSA')));
  await assert.rejects(openDatabaseAt(exports, ['Debian:12', 'PyPI', 'Ubuntu:24.04']), (error: unknown) =>
    error instanceof InputError && error.message === `OSV database ${exports}: no export for Debian:12, Ubuntu:24.04 (expected Debian:12.zip, Ubuntu:24.04:LTS.zip, <Ecosystem>/all.zip or JSON records)`);
});

test('a database with no record at all for a scanned ecosystem is an error, not a clean result', async () => {
  const path = join(await tempDir(), 'pypi-only.zip');
  await writeZip(path, (await fixtureRecords()).filter((record) => record.name.startsWith('GHSA')));
  await assert.rejects(readRecords(await openDatabaseAt(path, ['Debian:12', 'PyPI']), PACKAGES), (error: unknown) =>
    error instanceof InputError && error.message.startsWith(`OSV database ${path} has no records for Debian:12: `));
});

test('an unknown ecosystem is skipped and counted; a malformed range in a kept record names the file and the record', async () => {
  const path = join(await tempDir(), 'osv.zip');
  const alpine = { id: 'ALPINE-CVE-2023-5363', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.4-r0' }] }] }] };
  await writeZip(path, [...await fixtureRecords(), { name: 'ALPINE-CVE-2023-5363.json', data: JSON.stringify(alpine) }]);
  const read = await readRecords(await openDatabaseAt(path, ['Debian:12', 'PyPI']), PACKAGES);
  assert.deepEqual([...read.unknownEcosystems], [['Alpine:v3.19', 1]]);

  const broken = { id: 'DEBIAN-CVE-2099-0001', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1:1.3-1' }] }] }] };
  const bad = join(await tempDir(), 'bad.zip');
  await writeZip(bad, [...await fixtureRecords(), { name: 'DEBIAN-CVE-2099-0001.json', data: JSON.stringify(broken) }]);
  await assert.rejects(readRecords(await openDatabaseAt(bad, ['Debian:12', 'PyPI']), PACKAGES), (error: unknown) =>
    error instanceof InputError
    && error.oneLine() === `${bad}!/DEBIAN-CVE-2099-0001.json: OSV record DEBIAN-CVE-2099-0001: Debian:12/zlib: ranges[0]: a ECOSYSTEM range's events must start with "introduced"`);
});

test('a record that fails the schema fails the read, even when it names no scanned package', async () => {
  const path = join(await tempDir(), 'osv.zip');
  const noModified = { id: 'DEBIAN-CVE-2099-0002', affected: [] };
  await writeZip(path, [...await fixtureRecords(), { name: 'DEBIAN-CVE-2099-0002.json', data: JSON.stringify(noModified) }]);
  await assert.rejects(readRecords(await openDatabaseAt(path, ['Debian:12', 'PyPI']), PACKAGES), (error: unknown) =>
    error instanceof InputError && error.oneLine().startsWith(`${path}!/DEBIAN-CVE-2099-0002.json: OSV record DEBIAN-CVE-2099-0002: modified: `));
});
