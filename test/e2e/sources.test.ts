// Issue 13 acceptance: a KServe-shaped upstream made with git. The source workflow through the CLI (sync records
// the pin, bump prints the patch table and moves nothing on conflict, checkout + refresh round-trip the series),
// and a server built from the synced tree (path dependency ../kserve inside it, tags from the source) that runs
// under docker and answers with the patched code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { gitIn, makeUpstream, type Upstream } from '../../src/testing/git-upstream.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

const TAG = 'kiln-test/sklearnserver:e2e';

async function project(dir: string, upstream: Upstream): Promise<string> {
  await cp(upstream.patches, join(dir, 'patches/kserve'), { recursive: true });
  await writeFile(join(dir, 'kiln.yaml'), [
    'sources:',
    '  kserve:',
    `    git: ${upstream.url}`,
    '    ref: v0.15.2   # bumped by kiln source bump',
    '    paths: [python/]',
    '    patches: patches/kserve/',
    '    version_file: python/VERSION',
    'images:',
    '  sklearnserver:',
    '    base: {distro: debian, release: bookworm, packages: [python3]}',
    '    python: {project: "source:kserve/python/sklearnserver"}',
    '    entrypoint: [/opt/venv/bin/sklearnserver]',
    '    ports: [8080]',
    '    tags: ["{source.kserve.version}", "{source.kserve.short}"]',
    '',
  ].join('\n'));
  return dir;
}

test('kiln source: sync pins, bump prints the patch table (conflict: nothing changes), checkout + refresh round-trip', { timeout: 300_000 }, async () => {
  const work = await tempDir();
  const upstream = await makeUpstream(work);
  const dir = await project(join(work, 'project'), upstream);
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const kiln = (...args: string[]) => runKiln(args, { cwd: dir, env });

  const synced = await kiln('source', 'sync');
  assert.equal(synced.code, 0, synced.stderr);
  assert.match(synced.stdout, /^kserve: v0\.15\.2 [0-9a-f]{12} \(version 0\.15\.2\) -> .*\n  patches: 0001-greeting\.patch clean, 0002-workers\.patch clean\n$/);
  const lock = await readFile(join(dir, 'kiln.lock'), 'utf8');
  assert.match(lock, new RegExp(`\\[sources\\.kserve\\]\\ngit = "${upstream.url}"\\nref = "v0\\.15\\.2"\\ncommit = "${upstream.commits['v0.15.2']}"`));
  assert.equal([...lock.matchAll(/^sha256 = "[0-9a-f]{64}"$/gm)].length, 2);

  const conflict = await kiln('source', 'bump', 'kserve', '--to', 'v0.16.0');
  assert.equal(conflict.code, 1);
  assert.match(conflict.stdout, /0001-greeting\.patch\s+applies with a 3-way merge\n/);
  assert.match(conflict.stdout, /0002-workers\.patch\s+conflict: python\/kserve\/kserve\/model\.py, hunk #1 \(@@ -\d+,\d+ \+\d+,\d+ @@\)/);
  assert.equal(conflict.stderr.trim().split('\n').at(-1), 'kiln: source kserve: 1 of 2 patches conflict at v0.16.0; nothing changed');
  assert.equal(await readFile(join(dir, 'kiln.lock'), 'utf8'), lock, 'kiln.lock untouched');

  const bumped = await kiln('source', 'bump', 'kserve', '--to', 'v0.15.3');
  assert.equal(bumped.code, 0, bumped.stderr);
  assert.match(bumped.stdout, /0001-greeting\.patch\s+applies with a 3-way merge\n\s+0002-workers\.patch\s+applies cleanly\n/);
  assert.match(await readFile(join(dir, 'kiln.lock'), 'utf8'), new RegExp(`ref = "v0\\.15\\.3"\\ncommit = "${upstream.commits['v0.15.3']}"`));
  assert.match(await readFile(join(dir, 'kiln.yaml'), 'utf8'), /\n    ref: v0\.15\.3   # bumped by kiln source bump\n/, 'kiln.yaml names the new ref, its comment kept');

  // Rebase the series on the new pin: check out (patch 0001 merges), refresh, and the series applies cleanly.
  const checkout = join(work, 'checkout');
  const out = await kiln('source', 'checkout', 'kserve', checkout);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(gitIn(checkout, ['log', '--format=%s', `${upstream.commits['v0.15.3']}..HEAD`]), 'Two workers\nGreet from kiln\n');
  const refreshed = await kiln('source', 'refresh', 'kserve');
  assert.equal(refreshed.code, 0, refreshed.stderr);
  const series = await Promise.all(['0001-greet-from-kiln.patch', '0002-two-workers.patch'].map((name) => readFile(join(dir, 'patches/kserve', name), 'utf8')));
  const resync = await kiln('source', 'sync', 'kserve');
  assert.match(resync.stdout, /patches: 0001-greet-from-kiln\.patch clean, 0002-two-workers\.patch clean/);
  // A second checkout + refresh of the unedited series writes the same bytes.
  await kiln('source', 'checkout', 'kserve', join(work, 'checkout-2'));
  assert.equal((await kiln('source', 'refresh', 'kserve', join(work, 'checkout-2'))).code, 0);
  assert.deepEqual(await Promise.all(['0001-greet-from-kiln.patch', '0002-two-workers.patch'].map((name) => readFile(join(dir, 'patches/kserve', name), 'utf8'))), series);

  const plan = await kiln('plan', '--json', '--no-resolve');
  assert.equal(plan.code, 0, plan.stderr);
  const parsed = JSON.parse(plan.stdout) as { images: Array<{ tags: string[] }>; sources: Array<{ commit: string; version: string }> };
  assert.deepEqual(parsed.images[0]!.tags, ['0.15.3', upstream.commits['v0.15.3']!.slice(0, 7)]);
});

test('a KServe-shaped server built from a synced source runs under docker and answers with the patched code', { timeout: 600_000 }, async (t) => {
  const work = await tempDir();
  const upstream = await makeUpstream(work);
  const dir = await project(join(work, 'project'), upstream);
  // .debs are content-addressed: the e2e files' shared cache makes the base a local read once one of them has it.
  const env = { KILN_CACHE_DIR: sharedCacheDir() };
  let started = Date.now();
  const built = await runKiln(['build', dir, '-o', `docker-archive:${work}/server.tar:${TAG}`, '-o', `oci:${work}/layout`, '--json'], { env });
  assert.equal(built.code, 0, built.stderr);
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`build from a synced source: ${seconds.toFixed(1)} s`);
  const lock = await readFile(join(dir, 'kiln.lock'), 'utf8');
  assert.match(lock, new RegExp(`commit = "${upstream.commits['v0.15.2']}"`), 'kiln build records the source pin');
  const index = JSON.parse(await readFile(join(work, 'layout/index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  assert.ok(index.manifests.length >= 1);

  // --locked builds from the pin alone.
  assert.equal((await runKiln(['plan', dir, '--locked'], { env })).code, 0);

  if (!(await requireTool(t, 'docker'))) return;
  started = Date.now();
  await sh('docker', ['load', '-i', join(work, 'server.tar')]);
  t.diagnostic(`docker load: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const port = await freePort();
  const container = (await sh('docker', ['run', '-d', '--rm', '-p', `127.0.0.1:${port}:8080`, TAG])).trim();
  try {
    const answer = await httpGetWithRetry(`http://127.0.0.1:${port}/v1/models/sklearn`);
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { greeting: 'hello from kiln, sklearn.', server: 'kserve workers=2' });
  } finally {
    await sh('docker', ['rm', '-f', container]).catch(() => undefined);
    await sh('docker', ['rmi', TAG]).catch(() => undefined);
  }
});
