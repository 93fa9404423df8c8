import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dpkgDatabase, dpkgStatusD, filterMd5sums, statusStanza } from './status.js';
import { parseControlStanza } from './control-file.js';

const fields = parseControlStanza('Package: zlib1g\nVersion: 1:1.2.13\nDescription: compression\n library\n', 'zlib1g');

test('statusStanza puts Status after Package and keeps multi-line values', () => {
  assert.equal(statusStanza(fields), 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\nDescription: compression\n library\n');
});

test('dpkgStatusD and dpkgDatabase record every package once', () => {
  const other = parseControlStanza('Package: base-files\nVersion: 12\n', 'base-files');
  const statusD = dpkgStatusD([{ name: 'zlib1g', fields, md5sums: 'x' }, { name: 'base-files', fields: other }]);
  assert.deepEqual(statusD.map((e) => e.path), ['var/lib/dpkg', 'var/lib/dpkg/status.d', 'var/lib/dpkg/status.d/zlib1g', 'var/lib/dpkg/status.d/zlib1g.md5sums', 'var/lib/dpkg/status.d/base-files']);
  const db = dpkgDatabase([{ name: 'zlib1g', fields }, { name: 'base-files', fields: other }]);
  const status = db.find((e) => e.path === 'var/lib/dpkg/status');
  assert.match(status?.content?.kind === 'buffer' ? status.content.data.toString() : '', /^Package: base-files\nStatus: install ok installed\nVersion: 12\n\nPackage: zlib1g\n/);
  assert.throws(() => dpkgStatusD([{ name: 'zlib1g', fields }, { name: 'zlib1g', fields }]), /package zlib1g is listed twice/);
  assert.throws(() => dpkgStatusD([{ name: 'libz', fields }]), /package libz: its control file names "zlib1g"/);
});

test('filterMd5sums drops lines for files not in the image', () => {
  const sums = `${'a'.repeat(32)}  usr/share/doc/x/changelog.gz\n${'b'.repeat(32)}  usr/lib/libx.so.1\n`;
  assert.equal(filterMd5sums(sums, (path) => !path.includes('doc')), `${'b'.repeat(32)}  usr/lib/libx.so.1\n`);
});
