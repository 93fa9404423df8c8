import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findScan, mergeRecords, recordScan, type ScanRecord } from './scan-record.js';
import { tempStore } from '../testing/images.js';

const record = (packages: number, findings: Array<[string, string, string]>, ignored = 0, filtered = 0): ScanRecord => ({
  time: '2026-12-07T12:00:00.000Z', database: '/db/osv.zip', filters: { severities: ['CRITICAL'], ignoreUnfixed: false }, packages, ignored, filtered,
  findings: findings.map(([id, pkg, installed]) => ({ id, package: pkg, ecosystem: 'Debian:12', installed, severity: 'CRITICAL' })),
});

test('mergeRecords: a multi-platform entry\'s scans as one: counts add up, a finding in several platforms is listed once', () => {
  const amd64 = record(30, [['CVE-1', 'zlib1g', '1:1.2.13'], ['CVE-2', 'libssl3', '3.0.1']], 1, 2);
  const arm64 = record(31, [['CVE-1', 'zlib1g', '1:1.2.13'], ['CVE-1', 'zlib1g', '1:1.2.14']], 0, 3);
  const merged = mergeRecords([amd64, arm64]);
  assert.deepEqual([merged.packages, merged.ignored, merged.filtered], [61, 1, 5]);
  assert.deepEqual(merged.findings.map((f) => `${f.id} ${f.package} ${f.installed}`), ['CVE-1 zlib1g 1:1.2.13', 'CVE-2 libssl3 3.0.1', 'CVE-1 zlib1g 1:1.2.14']);
  assert.deepEqual(mergeRecords([amd64]), amd64);
  assert.throws(() => mergeRecords([]));
});

test('recordScan and findScan: the last record per manifest and entry', async () => {
  const store = await tempStore();
  const key = { manifestFile: '/p/kiln.yaml', name: 'server' };
  assert.equal(await findScan(store, key), undefined);
  await recordScan(store, key, record(1, []));
  await recordScan(store, key, record(2, [['CVE-3', 'libc6', '2.36']]));
  assert.equal((await findScan(store, key))?.packages, 2);
  assert.equal(await findScan(store, { ...key, name: 'other' }), undefined);
});
