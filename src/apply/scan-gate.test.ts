// The scan gate against a real registry: an entry whose pinned packages have a finding its policy refuses is not
// uploaded, and no tag of the run is written (unless --partial); ignore_unfixed or an ignore file let it through;
// without a database nothing gated is published.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import type { ImagePlan, ScanPolicy } from '../plan/types.js';
import { Registries } from '../registry/registries.js';
import { fixtureRecords, helloPythonPlan, writeZip } from '../testing/osv.js';
import { testImagePlan } from '../testing/plans.js';
import { busyboxImage } from '../testing/registry-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { publishEntries } from './publish.js';
import { findScan } from '../scan/scan-record.js';

let registry: TestRegistry;
let work: string;
let db: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-scan-gate-'));
  db = join(work, 'osv.zip');
  await writeZip(db, await fixtureRecords());
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

function destination(repository: string) {
  return { registry: 'local', repository: `${registry.host}/${repository}`, references: [`docker://${registry.host}/${repository}:v1`], insecure: true };
}

// hello-python's closure as resolved today: zlib's CVE-2023-45853 (CRITICAL, unfixed in bookworm) and glibc's
// CVE-2010-4756 (LOW, unfixed) are the fixture database's findings in it.
async function gatedEntry(repository: string, scan: ScanPolicy): Promise<ImagePlan> {
  return { ...(await helloPythonPlan({}, 'hello')), publish: true, destinations: [destination(repository)], scan };
}

test('a CRITICAL finding holds back every tag of the run; --partial tags the entry that passed; the gate said why', async () => {
  const store = new BlobStore(join(work, 'cache-1'));
  const lines: string[] = [];
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: (line: string) => lines.push(line) };
  const client = new Registries({ insecure: [registry.host] }).client(registry.host);
  const hello = await gatedEntry('gate/hello', { severity: ['CRITICAL'], ignoreUnfixed: false });
  const other = testImagePlan({ name: 'other', pinned: { base: { kind: 'scratch' } }, publish: true, destinations: [destination('gate/other')], scan: { severity: ['CRITICAL', 'HIGH'], ignoreUnfixed: false } });
  const built = [{ entry: hello, image: await busyboxImage(store, 'hello') }, { entry: other, image: await busyboxImage(store, 'other') }];

  const manifestFile = join(work, 'gate-1', 'kiln.yaml');
  const held = await publishEntries(built, context, { db, manifestFile });
  assert.deepEqual(held.map((r) => [r.name, r.status]), [['hello', 'failed'], ['other', 'uploaded']]);
  // What the gate found is each entry's last scan, as kiln report shows it.
  const recorded = await findScan(store, { manifestFile, name: 'hello' });
  assert.deepEqual(recorded?.findings.map((finding) => [finding.id, finding.severity]), [['CVE-2023-45853', 'CRITICAL']]);
  assert.deepEqual(recorded?.filters, { severities: ['CRITICAL'], ignoreUnfixed: false });
  assert.equal(recorded?.database, db);
  assert.deepEqual((await findScan(store, { manifestFile, name: 'other' }))?.findings, []);
  assert.equal(held[0]!.message, 'scan gate: 1 finding(s) at CRITICAL: CVE-2023-45853');
  assert.ok(lines.includes('other: scan gate: passed (no finding at CRITICAL,HIGH)'), lines.join('\n'));
  assert.equal(await client.headManifest('gate/hello', await built[0]!.image.digest()), undefined, 'the refused image is not uploaded');
  assert.equal(await client.headManifest('gate/other', 'v1'), undefined, 'no tag while another entry failed its gate');

  const partial = await publishEntries(built, context, { db, partial: true });
  assert.deepEqual(partial.map((r) => [r.name, r.status]), [['hello', 'failed'], ['other', 'pushed']]);
  assert.equal(await client.headManifest('gate/other', 'v1'), await built[1]!.image.digest());
  assert.equal(await client.headManifest('gate/hello', 'v1'), undefined);
});

test('ignore_unfixed or an ignore file lets the entry through; an expired ignore does not', async () => {
  const store = new BlobStore(join(work, 'cache-2'));
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: () => undefined };
  const client = new Registries({ insecure: [registry.host] }).client(registry.host);
  const image = await busyboxImage(store, 'let through');

  const unfixed = await publishEntries([{ entry: await gatedEntry('gate/unfixed', { severity: ['CRITICAL', 'HIGH'], ignoreUnfixed: true }), image }], context, { db });
  assert.deepEqual(unfixed.map((r) => r.status), ['pushed']);
  assert.equal(await client.headManifest('gate/unfixed', 'v1'), await image.digest());

  const ignorefile = join(work, 'ignore.yaml');
  await writeFile(ignorefile, '- id: CVE-2023-45853\n  package: zlib\n  reason: minizip is not shipped\n  expires: 2099-12-31\n');
  const ignored = await publishEntries([{ entry: await gatedEntry('gate/ignored', { severity: ['CRITICAL'], ignoreUnfixed: false, ignorefile }), image }], context, { db });
  assert.deepEqual(ignored.map((r) => r.status), ['pushed']);

  await writeFile(ignorefile, '- id: CVE-2023-45853\n  reason: minizip is not shipped\n  expires: 2024-01-31\n');
  const expired = await publishEntries([{ entry: await gatedEntry('gate/expired', { severity: ['CRITICAL'], ignoreUnfixed: false, ignorefile }), image }], context, { db });
  assert.deepEqual(expired.map((r) => [r.status, r.message]), [['failed', 'scan gate: 1 finding(s) at CRITICAL: CVE-2023-45853; 1 ignore rule(s) expired']]);
  assert.equal(await client.headManifest('gate/expired', 'v1'), undefined);
});

test('without a database nothing gated is published, and the reason is one line; an ungated entry does not need one', async () => {
  const store = new BlobStore(join(work, 'cache-empty'));
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: () => undefined };
  const image = await busyboxImage(store, 'no database');
  const results = await publishEntries([{ entry: await gatedEntry('gate/nodb', { severity: ['CRITICAL'], ignoreUnfixed: false }), image }], context);
  assert.equal(results[0]!.status, 'failed');
  assert.match(results[0]!.message!, /^scan gate: .*kiln db update/);
  assert.doesNotMatch(results[0]!.message!, /\n/);

  const ungated = await publishEntries([{ entry: { ...(await gatedEntry('gate/ungated', { severity: ['CRITICAL'], ignoreUnfixed: false })), scan: false }, image }], context);
  assert.deepEqual(ungated.map((r) => r.status), ['pushed']);
});

test('kiln build --push --db: the gate runs from the CLI; --db without --push is a usage error', async () => {
  const dir = join(work, 'cli');
  const { mkdir } = await import('node:fs/promises');
  const { runKiln } = await import('../testing/cli.js');
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app/hello.txt'), 'hello\n');
  await writeFile(join(dir, 'kiln.yaml'), [
    'registries:',
    `  local: { repository: "${registry.host}/gate-cli", insecure: true }`,
    'images:',
    '  hello: { base: scratch, app: { src: app }, scan: true, sbom: false }',
    '',
  ].join('\n'));
  const env = { KILN_CACHE_DIR: join(work, 'cli-cache'), DOCKER_CONFIG: join(work, 'no-docker-config') };
  const misuse = await runKiln(['build', dir, '--db', db, '-o', `oci:${join(work, 'cli-out')}`], { env });
  assert.equal(misuse.code, 2);
  assert.equal(misuse.stderr, 'kiln: --db is the OSV database the scan gate reads when publishing: it only makes sense with --push\n');
  const pushed = await runKiln(['build', dir, '--push', '--db', db, '--json', '-q'], { env });
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.deepEqual((JSON.parse(pushed.stdout) as { published: Array<{ status: string }> }).published.map((r) => r.status), ['pushed']);
  const report = await runKiln(['report', dir, '-o', join(work, 'cli-report.html')], { env });
  assert.equal(report.code, 0, report.stderr);
  // A scratch entry: nothing to look up, so no database was opened; the gate's policy is the scan's filter.
  assert.match(await readFile(join(work, 'cli-report.html'), 'utf8'), /<h3>Vulnerabilities<\/h3>\n<p>scanned \S+ against \(none needed\) \(severity CRITICAL,HIGH\): 0 packages, 0 findings/, 'the gate\'s scan is the entry\'s last scan');
});
