import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installedPackages, inventoryFromPlan } from '../sbom/inventory.js';
import { parseOsvJson, type OsvRecord } from '../osv/schema.js';
import { BOOKWORM_12_0, fixtureRecords, helloPythonPlan } from '../testing/osv.js';
import type { IgnoreRule } from './ignore-file.js';
import { scanPackages, type ScanResult } from './scan.js';

async function records(): Promise<OsvRecord[]> {
  return (await fixtureRecords()).map((file) => parseOsvJson(file.data.toString(), file.name));
}

function rows(result: ScanResult): string[] {
  return result.findings.map((finding) => `${finding.rating.severity} ${finding.package.name} ${finding.id} ${finding.fixed ?? 'unfixed'}`);
}

const TODAY = '2026-12-02';

test('hello-python as bookworm 12.0 shipped it: fixed, unfixed and alias-merged findings, worst first, each per binary package', async () => {
  const packages = installedPackages(inventoryFromPlan(await helloPythonPlan(BOOKWORM_12_0)));
  const result = scanPackages('hello-python', packages, await records(), { today: TODAY });
  assert.deepEqual(rows(result), [
    'CRITICAL zlib1g CVE-2023-45853 unfixed',
    'HIGH libpython3.11-minimal CVE-2023-24329 3.11.2-6+deb12u1',
    'HIGH libpython3.11-stdlib CVE-2023-24329 3.11.2-6+deb12u1',
    'HIGH libssl3 CVE-2023-5363 3.0.11-1~deb12u2',
    'HIGH python3.11 CVE-2023-24329 3.11.2-6+deb12u1',
    'HIGH python3.11-minimal CVE-2023-24329 3.11.2-6+deb12u1',
    'LOW libc6 CVE-2010-4756 unfixed',
  ]);
  const openssl = result.findings.find((finding) => finding.package.name === 'libssl3')!;
  assert.deepEqual(openssl.ids, ['CVE-2023-5363', 'DEBIAN-CVE-2023-5363', 'DSA-5532-1'], 'the DSA and the tracker record are one finding, named by the CVE');
  assert.deepEqual(openssl.rating, { severity: 'HIGH', score: 7.5, source: 'CVSS_V3 7.5' });
  const glibc = result.findings.find((finding) => finding.package.name === 'libc6')!;
  assert.equal(glibc.rating.source, 'Debian urgency unimportant', 'Debian\'s urgency wins over the CVSS v2 MEDIUM');
});

test('hello-python as resolved today: the fixes bookworm shipped clear the DSA and the CVE; the unfixed ones remain', async () => {
  const packages = installedPackages(inventoryFromPlan(await helloPythonPlan()));
  assert.ok(packages.some((pkg) => pkg.name === 'libbz2-1.0' && pkg.source === 'bzip2' && pkg.sourceVersion === '1.0.8-5'), 'binNMU source versions are split off');
  const result = scanPackages('hello-python', packages, await records(), { today: TODAY });
  assert.deepEqual(rows(result), ['CRITICAL zlib1g CVE-2023-45853 unfixed', 'LOW libc6 CVE-2010-4756 unfixed']);
});

test('--severity, --ignore-unfixed, an ignore rule (matched by any alias) and an expired one', async () => {
  const packages = installedPackages(inventoryFromPlan(await helloPythonPlan(BOOKWORM_12_0)));
  const all = await records();
  const severe = scanPackages('h', packages, all, { today: TODAY, severities: ['CRITICAL'] });
  assert.deepEqual(rows(severe), ['CRITICAL zlib1g CVE-2023-45853 unfixed']);
  assert.equal(severe.filtered, 6);
  const fixable = scanPackages('h', packages, all, { today: TODAY, ignoreUnfixed: true });
  assert.ok(fixable.findings.every((finding) => finding.fixed !== undefined));
  assert.equal(fixable.findings.length, 5);

  const ignores: IgnoreRule[] = [
    { id: 'DEBIAN-CVE-2023-45853', package: 'zlib1g', reason: 'minizip is not in the image', expires: '2099-12-31', line: 1 },
    { id: 'DSA-5532-1', package: 'openssl', reason: 'no ciphers with changed IV lengths', line: 5 },
    { id: 'CVE-2023-24329', package: 'python3.11', reason: 'no URL blocklists', expires: '2024-01-31', line: 8 },
  ];
  const ignored = scanPackages('h', packages, all, { today: TODAY, ignores });
  assert.deepEqual(ignored.ignored.map(({ finding, rule }) => `${finding.package.name} ${finding.id} line ${rule.line}`), [
    'libssl3 CVE-2023-5363 line 5',
    'zlib1g CVE-2023-45853 line 1',
  ]);
  // `package: python3.11` names the source package, so the rule covers every binary built from it.
  assert.deepEqual(ignored.expired.map(({ finding }) => finding.package.name), ['libpython3.11-minimal', 'libpython3.11-stdlib', 'python3.11', 'python3.11-minimal']);
  assert.ok(rows(ignored).includes('HIGH python3.11 CVE-2023-24329 3.11.2-6+deb12u1'), 'an expired rule stops ignoring');
  assert.equal(ignored.findings.length, 5);
});

test('PyPI: a GHSA record rates by its database severity and names the fix', async () => {
  const result = scanPackages('app', [{ ecosystem: 'PyPI', name: 'Requests', version: '2.30.0' }], await records(), { today: TODAY });
  assert.deepEqual(rows(result), ['MEDIUM Requests CVE-2023-32681 2.31.0']);
  assert.deepEqual(result.findings[0]!.ids, ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q', 'PYSEC-2023-74']);
  assert.equal(result.findings[0]!.rating.source, 'GHSA MODERATE');
});
