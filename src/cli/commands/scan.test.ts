import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { formatPlanFile, type BuildPlan } from '../../plan/index.js';
import { runKiln } from '../../testing/cli.js';
import { BlobStore } from '../../cache/blob-store.js';
import { findScan } from '../../scan/scan-record.js';
import { tempDir } from '../../testing/images.js';
import { BOOKWORM_12_0, fixtureRecords, helloPythonPlan, writeZip } from '../../testing/osv.js';

async function setup(): Promise<{ dir: string; planFile: string; db: string; env: NodeJS.ProcessEnv }> {
  const dir = await tempDir();
  const planFile = join(dir, 'plan.json');
  const plan: BuildPlan = { manifestFile: join(dir, 'kiln.yaml'), notices: [], images: [await helloPythonPlan(BOOKWORM_12_0)] };
  await writeFile(planFile, formatPlanFile(plan));
  const db = join(dir, 'osv.zip');
  await writeZip(db, await fixtureRecords());
  return { dir, planFile, db, env: { KILN_CACHE_DIR: join(dir, 'cache') } };
}

test('kiln scan --plan --db: a table per entry, worst first, ignored and expired entries said; --exit-code when findings remain', async () => {
  const { dir, planFile, db, env } = await setup();
  const ignorefile = join(dir, 'ignore.yaml');
  await writeFile(ignorefile, '- id: CVE-2023-45853\n  reason: minizip is not in the image\n  expires: 2099-12-31\n- id: CVE-2023-24329\n  package: python3.11\n  reason: no URL blocklists\n  expires: 2024-01-31\n');
  const scan = await runKiln(['scan', '--plan', planFile, '--db', db, '--ignorefile', ignorefile, '--exit-code', '3', '--max-db-age', '100000'], { env });
  assert.equal(scan.code, 3, scan.stderr);
  const lines = scan.stdout.split('\n');
  assert.equal(lines[0], 'hello-python (38 packages)');
  assert.equal(lines[1], 'Total: 6 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 5, CRITICAL: 0)');
  assert.match(lines[3]!, /^Package +Vulnerability +Severity +Installed +Fixed +Title$/);
  assert.match(lines[4]!, /^libpython3\.11-minimal +CVE-2023-24329 +HIGH +3\.11\.2-6 +3\.11\.2-6\+deb12u1/);
  assert.match(scan.stdout, /\nlibc6 +CVE-2010-4756 +LOW +2\.36-9\+deb12u14 +\(unfixed\)/);
  assert.match(scan.stdout, /\nIgnored: 1\n {2}CVE-2023-45853 in zlib1g: minizip is not in the image \(until 2099-12-31\)\n/);
  assert.match(scan.stdout, /Expired ignore \(line 4\): CVE-2023-24329 in python3\.11 was accepted until 2024-01-31, so it is reported again/);
  assert.match(scan.stderr, new RegExp(`^kiln: warning: ${ignorefile}:4: the ignore entry for CVE-2023-24329 expired on 2024-01-31; CVE-2023-24329 in libpython3\\.11-minimal is reported again$`, 'm'));

  const clean = await runKiln(['scan', '--plan', planFile, '--db', db, '--severity', 'critical', '--ignorefile', ignorefile, '--exit-code', '3', '--max-db-age', '100000'], { env });
  assert.equal(clean.code, 0, 'nothing CRITICAL remains once zlib is ignored');
  assert.match(clean.stdout, /^Total: 0 \(/m);
});

test('kiln scan --format json|sarif|cyclonedx, to stdout or -o', async () => {
  const { dir, planFile, db, env } = await setup();
  const args = ['scan', '--plan', planFile, '--db', db, '--max-db-age', '100000'];
  const json = await runKiln([...args, '--format', 'json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { results: Array<{ target: string; vulnerabilities: Array<{ id: string; package: string; source?: string; fixed: string | null; severity: string; aliases: string[] }> }> };
  const openssl = report.results[0]!.vulnerabilities.find((v) => v.package === 'libssl3')!;
  assert.deepEqual({ ...openssl, summary: undefined }, {
    ...openssl, summary: undefined, id: 'CVE-2023-5363', source: 'openssl', fixed: '3.0.11-1~deb12u2', severity: 'HIGH', aliases: ['DEBIAN-CVE-2023-5363', 'DSA-5532-1'],
  });

  const sarif = await runKiln([...args, '--format', 'sarif'], { env });
  const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; properties: Record<string, unknown> }> } }; results: Array<{ ruleId: string; level: string; ruleIndex: number }> }> };
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0]!;
  assert.equal(run.results.length, 7);
  assert.deepEqual(run.tool.driver.rules.map((rule) => rule.id).sort(), ['CVE-2010-4756', 'CVE-2023-24329', 'CVE-2023-45853', 'CVE-2023-5363']);
  for (const result of run.results) assert.equal(run.tool.driver.rules[result.ruleIndex]!.id, result.ruleId);
  assert.equal(run.tool.driver.rules.find((rule) => rule.id === 'CVE-2023-45853')!.properties['security-severity'], '9.8');

  const bomFile = join(dir, 'bom.json');
  const cyclonedx = await runKiln([...args, '--format', 'cyclonedx', '-o', bomFile], { env });
  assert.equal(cyclonedx.code, 0, cyclonedx.stderr);
  const text = await readFile(bomFile, 'utf8');
  assert.equal(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text), null);
  const bom = JSON.parse(text) as { components: Array<{ 'bom-ref': string; name: string }>; vulnerabilities: Array<{ id: string; affects: Array<{ ref: string }>; ratings: Array<{ severity: string }> }> };
  assert.equal(bom.vulnerabilities.length, 7);
  const zlib = bom.vulnerabilities.find((v) => v.id === 'CVE-2023-45853')!;
  assert.equal(zlib.ratings[0]!.severity, 'critical');
  assert.equal(bom.components.find((c) => c['bom-ref'] === zlib.affects[0]!.ref)?.name, 'zlib1g');
});

test('kiln scan: no database is one line saying to run kiln db update; a stale one warns; bad flags are usage errors', async () => {
  const { planFile, db, env } = await setup();
  const missing = await runKiln(['scan', '--plan', planFile], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^kiln: no OSV database for Debian:12 in the cache \(.*\): run kiln db update --ecosystem Debian:12 \(or give --db PATH\)\n$/);

  const old = new Date(Date.now() - 30 * 86_400_000);
  await utimes(db, old, old);
  const stale = await runKiln(['scan', '--plan', planFile, '--db', db, '--format', 'json'], { env });
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stderr, new RegExp(`^kiln: warning: the OSV data for ${db} is 30 days old \\(more than --max-db-age 7\\): run kiln db update$`, 'm'));

  // --json is --format json, as on every command that prints data.
  const viaJson = await runKiln(['scan', '--plan', planFile, '--db', db, '--json'], { env });
  assert.deepEqual([viaJson.code, viaJson.stdout], [0, stale.stdout]);
  const both = await runKiln(['scan', '--plan', planFile, '--db', db, '--json', '--format', 'sarif'], { env });
  assert.deepEqual([both.code, both.stderr], [2, 'kiln: --json is --format json: give one of them, not --format sarif\n']);

  for (const [flag, value, message] of [
    ['--severity', 'HIGH,SEVERE', 'kiln: --severity HIGH,SEVERE: expected a comma-separated list of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN\n'],
    ['--exit-code', 'one', 'kiln: --exit-code one: expected a whole number from 0 to 255\n'],
    ['--format', 'xml', "kiln: error: option '--format <FORMAT>' argument 'xml' is invalid. expected one of table, json, sarif, cyclonedx\n"],
  ] as const) {
    const bad = await runKiln(['scan', '--plan', planFile, '--db', db, flag, value], { env });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, message);
  }
});

/** slimLikeImage writes an OCI layout holding bookworm-12.0 openssl and zlib in dpkg status and requests 2.30.0 in site-packages. */
async function slimLikeImage(dir: string): Promise<string> {
  const { buildLayer } = await import('../../layer/build.js');
  const { appendLayers, emptyImage } = await import('../../oci/mutate.js');
  const { writeImage } = await import('../../places/index.js');
  const { fileEntries, tempStore } = await import('../../testing/images.js');
  const stanza = (name: string, version: string, source: string): string =>
    `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nSource: ${source}\nVersion: ${version}\n`;
  const site = 'usr/local/lib/python3.11/site-packages';
  const store = await tempStore();
  const built = await buildLayer(fileEntries({
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    'var/lib/dpkg/status': [stanza('libssl3', '3.0.9-1', 'openssl'), stanza('zlib1g', '1:1.2.13.dfsg-1', 'zlib')].join('\n'),
    [`${site}/requests-2.30.0.dist-info/METADATA`]: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.30.0\n',
    [`${site}/requests-2.30.0.dist-info/RECORD`]: '',
  }), { store, epoch: 0 });
  const image = await appendLayers(emptyImage(), { layer: built.layer, history: { created: '1970-01-01T00:00:00Z', created_by: 'test' } });
  const place = `oci:${join(dir, 'layout')}:app`;
  await writeImage(place, image, { store });
  return place;
}

test('kiln scan oci:LAYOUT reads the packages from the image\'s layers (dpkg status by source package, dist-info)', async () => {
  const { dir, db, env } = await setup();
  const place = await slimLikeImage(dir);
  const scan = await runKiln(['scan', place, '--db', db, '--format', 'json', '--max-db-age', '100000'], { env });
  assert.equal(scan.code, 0, scan.stderr);
  const report = JSON.parse(scan.stdout) as { results: Array<{ target: string; vulnerabilities: Array<{ id: string; package: string }> }> };
  assert.equal(report.results[0]!.target, place);
  assert.deepEqual(report.results[0]!.vulnerabilities.map((v) => `${v.package} ${v.id}`).sort(), [
    'libssl3 CVE-2023-5363', 'requests CVE-2023-32681', 'zlib1g CVE-2023-45853',
  ]);
  const mixed = await runKiln(['scan', place, '--only', 'x', '--db', db], { env });
  assert.equal(mixed.code, 2);
});

test('kiln scan --compare PLACE: vulnerabilities by id and severity in kiln\'s image and the other, and which only the other has', async () => {
  const { dir, planFile, db, env } = await setup();
  const place = await slimLikeImage(dir);
  const compare = await runKiln(['scan', '--plan', planFile, '--db', db, '--compare', place, '--max-db-age', '100000', '--exit-code', '4'], { env });
  assert.equal(compare.code, 4, compare.stderr);
  const rows = compare.stdout.split('\n');
  assert.equal(rows[0], `Vulnerabilities (by id) in hello-python (38 packages) and ${place} (3 packages)`);
  const cells = (severity: string): string[] => rows.find((row) => row.startsWith(`${severity} `))!.trim().split(/\s+/).slice(1);
  // hello-python at 12.0: CVE-2023-45853 CRITICAL, CVE-2023-5363 and CVE-2023-24329 HIGH, CVE-2010-4756 LOW.
  assert.deepEqual(cells('CRITICAL'), ['1', '1', '0', '0']);
  assert.deepEqual(cells('HIGH'), ['2', '1', '0', '1']);
  assert.deepEqual(cells('MEDIUM'), ['0', '1', '1', '0'], 'requests is only in the other image');
  assert.deepEqual(cells('LOW'), ['1', '0', '0', '1']);
  assert.deepEqual(cells('Total'), ['4', '3', '1', '2']);
  const json = await runKiln(['scan', '--plan', planFile, '--db', db, '--compare', place, '--format', 'json'], { env });
  assert.equal(json.code, 2);
  assert.equal(json.stderr, 'kiln: --compare prints a table: give no --format\n');
});

test('kiln scan of a manifest keeps each entry\'s last findings in the cache for kiln report', async () => {
  const { dir, planFile, db, env } = await setup();
  const key = { manifestFile: join(dir, 'kiln.yaml'), name: 'hello-python' };
  const store = new BlobStore(env.KILN_CACHE_DIR!);
  assert.equal(await findScan(store, key), undefined);
  const scan = await runKiln(['scan', '--plan', planFile, '--db', db, '--max-db-age', '100000', '--severity', 'HIGH,CRITICAL'], { env });
  assert.equal(scan.code, 0, scan.stderr);
  const record = (await findScan(store, key))!;
  assert.deepEqual([record.database, record.packages, record.filters], [db, 38, { severities: ['HIGH', 'CRITICAL'], ignoreUnfixed: false }]);
  assert.deepEqual(record.findings.map((finding) => [finding.id, finding.package, finding.severity]).sort().slice(0, 2), [['CVE-2023-24329', 'libpython3.11-minimal', 'HIGH'], ['CVE-2023-24329', 'libpython3.11-stdlib', 'HIGH']]);
  assert.equal(record.findings.find((finding) => finding.package === 'libssl3')?.fixed, '3.0.11-1~deb12u2');
  assert.equal(record.filtered, 1, 'the LOW libc6 finding is filtered out');
  assert.equal(await findScan(store, { ...key, name: 'other' }), undefined);
});
