import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlanFile } from '../../plan/index.js';
import { runKiln } from '../../testing/cli.js';
import { tempDir } from '../../testing/images.js';
import { BOOKWORM_12_0, fixtureRecords, helloPythonPlan, writeZip } from '../../testing/osv.js';
import { startPythonHttpServer } from '../../testing/python-http-server.js';
import { serveDir } from '../../testing/serve-dir.js';

/** exportTree lays the fixture records out as OSV's bucket does: `<Ecosystem>/all.zip`. */
async function exportTree(): Promise<string> {
  const root = await tempDir();
  const records = await fixtureRecords();
  await mkdir(join(root, 'Debian:12'));
  await mkdir(join(root, 'PyPI'));
  await writeZip(join(root, 'Debian:12', 'all.zip'), records.filter((record) => !record.name.startsWith('GHSA')));
  await writeZip(join(root, 'PyPI', 'all.zip'), records.filter((record) => record.name.startsWith('GHSA')));
  return root;
}

const QUICK = { KILN_HTTP_RETRIES: '1', KILN_HTTP_TIMEOUT: '5' };

test('kiln db update downloads the exports (MD5 from x-goog-hash checked), then kiln scan reads them from the cache', async () => {
  const root = await exportTree();
  const md5 = async (path: string): Promise<string> => createHash('md5').update(await readFile(join(root, path))).digest('base64');
  const sums: Record<string, string> = { '/Debian:12/all.zip': await md5('Debian:12/all.zip'), '/PyPI/all.zip': await md5('PyPI/all.zip') };
  const server = await serveDir(root, (path): Record<string, string> => (sums[path] ? { 'x-goog-hash': `crc32c=AAAAAA==, md5=${sums[path]}` } : {}));
  try {
    const work = await tempDir();
    const env = { ...QUICK, KILN_CACHE_DIR: join(work, 'cache'), KILN_OSV_URL: server.url };
    const update = await runKiln(['db', 'update', '--ecosystem', 'Debian:12', '--ecosystem', 'PyPI'], { env });
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stderr, /^Debian:12: downloaded \(5 records, 0\.0 MB\)\nPyPI: downloaded \(1 records, 0\.0 MB\)\n$/);
    assert.deepEqual(server.requests, ['/Debian:12/all.zip', '/PyPI/all.zip']);

    const planFile = join(work, 'plan.json');
    await writeFile(planFile, formatPlanFile({ manifestFile: join(work, 'kiln.yaml'), notices: [], images: [await helloPythonPlan(BOOKWORM_12_0)] }));
    const scan = await runKiln(['scan', '--plan', planFile, '--format', 'json'], { env });
    assert.equal(scan.code, 0, scan.stderr);
    assert.equal(scan.stderr, '');
    const report = JSON.parse(scan.stdout) as { database: { where: string; records: number }; results: Array<{ vulnerabilities: unknown[] }> };
    assert.equal(report.database.records, 5);
    assert.equal(report.results[0]!.vulnerabilities.length, 7);

    // A corrupted download fails the MD5 check, and the cached database stays as it was.
    sums['/PyPI/all.zip'] = createHash('md5').update('something else').digest('base64');
    const corrupt = await runKiln(['db', 'update', '--ecosystem', 'PyPI'], { env });
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^kiln: OSV export for PyPI from http:\/\/127\.0\.0\.1:\d+\/PyPI\/all\.zip: MD5 \S+ does not match the server's x-goog-hash md5=\S+\n$/);
    assert.deepEqual(await readdir(join(work, 'cache', 'tmp')), [], 'no download left behind');
    const again = await runKiln(['scan', '--plan', planFile, '--format', 'json'], { env });
    assert.equal(again.code, 0, again.stderr);

    const missing = await runKiln(['db', 'update', '--ecosystem', 'Ubuntu:24.04'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^kiln: no OSV export for Ubuntu:24\.04 at http:\/\/127\.0\.0\.1:\d+\/Ubuntu:24\.04:LTS\/all\.zip \(HTTP 404\): check the ecosystem name and --base-url\n$/);
  } finally {
    await server.close();
  }
});

test('kiln db update: a truncated export is refused; a retried 503 is not a failure', async () => {
  const root = await exportTree();
  const whole = await readFile(join(root, 'PyPI', 'all.zip'));
  await writeFile(join(root, 'PyPI', 'all.zip'), whole.subarray(0, whole.length - 30));
  const server = await serveDir(root);
  try {
    const env = { ...QUICK, KILN_CACHE_DIR: join(await tempDir(), 'cache') };
    server.failNext('/Debian:12/all.zip', 503);
    const debian = await runKiln(['db', 'update', '--base-url', server.url, '--ecosystem', 'Debian:12'], { env });
    assert.equal(debian.code, 0, debian.stderr);
    const pypi = await runKiln(['db', 'update', '--base-url', server.url, '--ecosystem', 'PyPI'], { env });
    assert.equal(pypi.code, 1);
    assert.match(pypi.stderr, /^kiln: OSV export for PyPI from http:\/\/127\.0\.0\.1:\d+\/PyPI\/all\.zip: not a readable zip \(corrupt or truncated\): /);
  } finally {
    await server.close();
  }
});

test('kiln db update against a plain static mirror: Last-Modified is kept and a second update asks only for something newer', async () => {
  const root = await exportTree();
  const server = await startPythonHttpServer(root);
  try {
    const env = { ...QUICK, KILN_CACHE_DIR: join(await tempDir(), 'cache') };
    const first = await runKiln(['db', 'update', '--base-url', server.url, '--ecosystem', 'Debian:12'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^Debian:12: downloaded \(5 records, 0\.0 MB, published \w{3}, \d\d \w{3} \d{4} [\d:]+ GMT\)\n$/);
    const second = await runKiln(['db', 'update', '--base-url', server.url, '--ecosystem', 'Debian:12'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /^Debian:12: already current \(5 records/);
  } finally {
    await server.close();
  }
});

test('kiln db update reads the ecosystems from the manifest: PyPI and each distro base\'s release', async () => {
  const root = await exportTree();
  const server = await serveDir(root);
  try {
    const project = await tempDir();
    await writeFile(join(project, 'kiln.yaml'), 'images:\n  hello:\n    base: {distro: debian, release: bookworm, packages: [python3]}\n');
    const env = { ...QUICK, KILN_CACHE_DIR: join(await tempDir(), 'cache') };
    const update = await runKiln(['db', 'update', project, '--base-url', server.url], { env });
    assert.equal(update.code, 0, update.stderr);
    assert.deepEqual([...server.requests].sort(), ['/Debian:12/all.zip', '/PyPI/all.zip']);
    const nowhere = await runKiln(['db', 'update', join(project, 'missing')], { env });
    assert.equal(nowhere.code, 2);
  } finally {
    await server.close();
  }
});
