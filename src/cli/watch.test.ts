import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BuildPlan } from '../plan/types.js';
import { spawnKiln, runKiln } from '../testing/cli.js';
import { tempDir } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { ignoredPath, watchBuilds, watchSet, type BuildOutcome, type WatchSet } from './watch.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('watchSet watches the project, outside app folders and Python sources, never the outputs or the cache', async () => {
  const root = await tempDir();
  const project = join(root, 'project');
  await mkdir(project);
  await writeFile(join(project, 'kiln.yaml'), 'images: {}\n');
  const entry = testImagePlan({
    outputs: [`oci:${join(project, 'out/app')}:latest`, `docker-archive:${join(root, 'app.tar')}:app:1`, 'docker://registry.example/app:1'],
    pinned: { base: { kind: 'scratch' }, app: { dir: join(root, 'app'), dest: '/app', digest: 'sha256:00' } },
  });
  const plan: BuildPlan = { manifestFile: join(project, 'kiln.yaml'), images: [entry], notices: [] };
  const set = watchSet(plan, root, join(root, 'cache'));
  assert.deepEqual(set.roots.sort(), [join(root, 'app'), project]);
  assert.deepEqual(set.ignored.sort(), [join(root, 'app.tar'), join(root, 'cache'), join(project, 'out/app')]);

  assert.equal(ignoredPath(join(project, 'out/app/index.json'), set), true);
  assert.equal(ignoredPath(join(project, 'out/app.tmp-123-0123456789ab/index.json'), set), true, 'a new layout is written beside and renamed');
  assert.equal(ignoredPath(join(root, 'app.tar.tmp-123-0123456789ab'), set), true);
  assert.equal(ignoredPath(join(project, '.git/index'), set), true);
  assert.equal(ignoredPath(join(root, 'cache/blobs/sha256/ab'), set), true);
  assert.equal(ignoredPath(join(project, 'out/other.txt'), set), false);
  assert.equal(ignoredPath(join(root, 'app/server.py'), set), false);
  assert.equal(ignoredPath(join(project, 'kiln.yaml'), set), false);

  // A backend's generated contexts beside kiln.yaml are the build's own writes too.
  const backend = watchSet(plan, root, join(root, 'cache'), [join(project, 'generated')]);
  assert.equal(ignoredPath(join(project, 'generated/app/Dockerfile'), backend), true);
  assert.equal(ignoredPath(join(project, 'generated/app/Dockerfile'), set), false);
});

test('watchBuilds builds once per burst of changes, once more for changes made during a build, ignores its own outputs, and stops with the last code', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'out'));
  const set: WatchSet = { roots: [dir], files: [], ignored: [join(dir, 'out')] };
  const stop = new AbortController();
  const plan: BuildPlan = { manifestFile: join(dir, 'kiln.yaml'), images: [], notices: [] };
  let builds = 0;
  let slow = false;
  const logged: string[] = [];
  const build = async (): Promise<BuildOutcome> => {
    builds++;
    // Each build writes its output where it is watched, as kiln's own outputs are.
    await writeFile(join(dir, 'out', 'index.json'), `${builds}\n`);
    if (slow) {
      slow = false;
      await appendFile(join(dir, 'server.py'), 'changed during the build\n');
      await sleep(200);
    }
    return { code: builds === 4 ? 1 : 0, plan };
  };
  const session = watchBuilds({ build, targets: () => set, fallback: set, log: (line) => logged.push(line), warn: (line) => logged.push(line), stop: stop.signal, debounceMs: 50 });
  const waitFor = async (count: number): Promise<void> => {
    for (let i = 0; i < 100 && builds < count; i++) await sleep(20);
    assert.equal(builds, count);
  };
  await waitFor(1);
  await sleep(100);
  // Three writes within the debounce: one build.
  await writeFile(join(dir, 'server.py'), 'a\n');
  await writeFile(join(dir, 'util.py'), 'b\n');
  await appendFile(join(dir, 'server.py'), 'c\n');
  await waitFor(2);
  await sleep(300);
  assert.equal(builds, 2, 'the output written by a build starts no other');
  assert.match(logged.join('\n'), /server\.py, util\.py changed: building/);

  // A change made while a build runs starts exactly one more after it.
  slow = true;
  await appendFile(join(dir, 'server.py'), 'd\n');
  await waitFor(4);
  await sleep(300);
  assert.equal(builds, 4);

  stop.abort();
  assert.equal(await session, 1, 'the last build failed');
  await appendFile(join(dir, 'server.py'), 'after the stop\n');
  await sleep(200);
  assert.equal(builds, 4, 'no build after the stop');
});

test('kiln build --watch: a code change is built and written, a broken kiln.yaml is reported and the session goes on, Ctrl-C ends it', async () => {
  const dir = await tempDir();
  const yaml = 'images:\n  app:\n    base: scratch\n    app: {src: ., dest: /app}\n    cmd: [/app/run]\n    outputs: ["oci:out/app:latest"]\n';
  await writeFile(join(dir, 'kiln.yaml'), yaml);
  await writeFile(join(dir, 'run'), 'one\n');
  const child = spawnKiln(['build', dir, '--watch', '--json'], { env: { KILN_CACHE_DIR: join(dir, '.cache') } });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const reports: Array<{ images: Array<{ digest: string }> }> = [];
  lines.on('line', (line) => reports.push(JSON.parse(line)));
  const waitFor = async (what: () => boolean, message: string): Promise<void> => {
    for (let i = 0; i < 300 && !what(); i++) await sleep(50);
    assert.ok(what(), `${message}; stderr: ${stderr}`);
  };
  const layoutDigest = async (): Promise<string> => (JSON.parse(await readFile(join(dir, 'out/app/index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }).manifests[0]!.digest;
  try {
    await waitFor(() => reports.length === 1 && /watching/.test(stderr), 'the first build and the watch');
    const first = reports[0]!.images[0]!.digest;
    assert.equal(await layoutDigest(), first);

    await writeFile(join(dir, 'run'), 'two\n');
    await waitFor(() => reports.length === 2, 'a build after the code change');
    const second = reports[1]!.images[0]!.digest;
    assert.notEqual(second, first);
    assert.equal(await layoutDigest(), second, 'the output holds the new image');
    assert.match(stderr, /run changed: building/);

    await writeFile(join(dir, 'kiln.yaml'), yaml.replace('cmd:', 'cmd: [oops'));
    await waitFor(() => /kiln: .*kiln\.yaml:\d+/.test(stderr), 'the broken kiln.yaml reported with its line');
    assert.equal(child.exitCode, null, 'the session goes on');
    await writeFile(join(dir, 'kiln.yaml'), yaml.replace('/app/run', '/app/run, again'));
    await waitFor(() => reports.length === 3, 'a build after kiln.yaml is fixed');
    assert.notEqual(reports[2]!.images[0]!.digest, second);
  } finally {
    child.kill('SIGINT');
  }
  const [code] = await once(child, 'close');
  assert.equal(code, 0, stderr);
  assert.equal(reports.length, 3, 'no build after the stop');
});

test('kiln build --watch refuses --push and --plan in one line', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  app:\n    base: scratch\n    cmd: [x]\n    outputs: ["oci:out"]\n');
  for (const extra of [['--push'], ['--plan', 'plan.json']]) {
    const result = await runKiln(['build', ...(extra[0] === '--plan' ? [] : [dir]), '--watch', ...extra], { cwd: dir, env: { KILN_CACHE_DIR: join(dir, '.cache') } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^kiln: --watch rebuilds kiln\.yaml's entries into their outputs: it takes no --push/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});
