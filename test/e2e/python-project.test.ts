// Issue 5 acceptance: a poetry project with a path dependency, built by kiln on a Debian slim base assembled
// from the mirror, runs its console script under docker; every locked package imports; pip sees them as
// installed, not editable; an app edit changes only the top layer; bad Python input fails cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { freePort, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { copyPythonProject, thirdPartyWheels } from '../../src/testing/python-project.js';
import { buildWheel, type WheelSpec } from '../../src/testing/wheels.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

const TAG = 'kiln-test/python-project:e2e';
const EXPECTED_OUTPUT = '[HELLO FROM DEMO-COMMON!] served by kiln (python 3.11)';

interface BuildJson {
  images: Array<{ name: string; digest: string; layers: Array<{ digest: string; holds: string }> }>;
}

function manifest(python: string[]): string {
  return [
    'images:',
    '  demo:',
    '    base: {distro: debian, release: bookworm, packages: [python3, python3-pip], variant: slim}',
    '    app: {src: app, dest: /app}',
    '    entrypoint: [demo-server]',
    '    python:',
    '      project: demo-server',
    ...python.map((line) => `      ${line}`),
    '',
  ].join('\n');
}

/** project copies the fixture to `dir`, writes its wheels into dir/wheels (a find-links folder) and a kiln.yaml. */
async function project(dir: string, python: string[] = ['find_links: [wheels]']): Promise<string> {
  await copyPythonProject(dir);
  await writeFile(join(dir, 'kiln.yaml'), manifest(python));
  return dir;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** replaceWheel puts a different tinyformat wheel in find-links and re-pins the lock to its hash. */
async function replaceWheel(dir: string, spec: WheelSpec): Promise<void> {
  const lockPath = join(dir, 'demo-server/poetry.lock');
  const original = thirdPartyWheels.find((wheel) => wheel.name === spec.name)!;
  const data = buildWheel(spec);
  await writeFile(join(dir, 'wheels', 'tinyformat-1.2.0-py3-none-any.whl'), data);
  const lock = await readFile(lockPath, 'utf8');
  await writeFile(lockPath, lock.replace(sha256(buildWheel(original)), sha256(data)));
}

test('a poetry project with a path dependency runs under docker; an app edit changes only the top layer', { timeout: 1_200_000 }, async (t) => {
  const work = await tempDir();
  const dir = await project(join(work, 'project'));
  // The shared cache (bookworm's python3 .debs are other e2e files' too); the bad-input test below drops layer
  // memos from its cache, so it keeps its own.
  const env = { KILN_CACHE_DIR: sharedCacheDir() };
  const first = await runKiln(['build', dir, '-o', `oci:${work}/layout:demo`, '-o', `docker-archive:${work}/demo.tar:${TAG}`, '--json'], { env });
  assert.equal(first.code, 0, first.stderr);
  const report = (JSON.parse(first.stdout) as BuildJson).images[0]!;
  assert.deepEqual(report.layers.slice(-5).map((layer) => layer.holds), ['python venv', 'python dependencies', 'python path dependencies', 'python project', 'app']);
  await stat(join(dir, 'kiln.lock'));

  // An app file edit: every layer but the top one is byte-identical (and no wheel work happens).
  await writeFile(join(dir, 'app/message.txt'), 'served by kiln, edited\n');
  const second = await runKiln(['build', dir, '-o', `oci:${work}/layout:demo2`, '--json'], { env });
  assert.equal(second.code, 0, second.stderr);
  const edited = (JSON.parse(second.stdout) as BuildJson).images[0]!;
  assert.deepEqual(edited.layers.slice(0, -1).map((l) => l.digest), report.layers.slice(0, -1).map((l) => l.digest));
  assert.notEqual(edited.layers.at(-1)!.digest, report.layers.at(-1)!.digest);
  assert.doesNotMatch(second.stderr, /installing python|fetching \d+ wheel/, 'a warm rebuild installs and fetches no wheels');

  // A project code edit: dependency layers stay, the project layer changes.
  const main = join(dir, 'demo-server/demo_server/main.py');
  await writeFile(main, `${await readFile(main, 'utf8')}\n# edited\n`);
  const third = await runKiln(['build', dir, '-o', `oci:${work}/layout:demo3`, '--json'], { env });
  assert.equal(third.code, 0, third.stderr);
  const recoded = (JSON.parse(third.stdout) as BuildJson).images[0]!;
  assert.deepEqual(recoded.layers.slice(0, -2).map((l) => l.digest), edited.layers.slice(0, -2).map((l) => l.digest));
  assert.notEqual(recoded.layers.at(-2)!.digest, edited.layers.at(-2)!.digest, 'the project layer changed');
  assert.equal(recoded.layers.at(-1)!.digest, edited.layers.at(-1)!.digest, 'the app layer did not');

  // The same command after another project edit takes the recorded plan and pins only the project again (said on
  // stderr, which --json keeps quiet: this run prints the human summary); the image is the one full planning gives
  // (KILN_NO_FAST_PATH=1 turns the memo off).
  await writeFile(main, `${await readFile(main, 'utf8')}\n# edited again\n`);
  const args = ['build', dir, '-o', `oci:${work}/layout:demo5`];
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const recorder = await runKiln(args, { env });
  assert.equal(recorder.code, 0, recorder.stderr);
  await writeFile(main, `${await readFile(main, 'utf8')}\n# and again\n`);
  const fourth = await runKiln(args, { env });
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.match(fourth.stderr, /its plan is reused/);
  assert.match(fourth.stderr, /kiln: demo-server changed: pinned again from source/);
  const summaryDigest = (stdout: string): string => /^demo {2}(sha256:[0-9a-f]{64})/m.exec(stdout)![1]!;
  assert.notEqual(summaryDigest(fourth.stdout), summaryDigest(recorder.stdout), 'the project edit is in the image');
  const planned = await runKiln(['build', dir, '-o', `oci:${work}/layout:demo6`, '--json'], { env: { ...env, KILN_NO_FAST_PATH: '1' } });
  assert.equal(planned.code, 0, planned.stderr);
  assert.equal((JSON.parse(planned.stdout) as BuildJson).images[0]!.digest, summaryDigest(fourth.stdout), 'the same image as full planning');

  if (await requireTool(t, 'docker')) {
    await sh('docker', ['load', '-i', join(work, 'demo.tar')]);
    try {
      assert.equal((await sh('docker', ['run', '--rm', TAG])).trim(), EXPECTED_OUTPUT);
      const lock = await readFile(join(dir, 'demo-server/poetry.lock'), 'utf8');
      const locked = [...lock.matchAll(/^name = "([^"]+)"/gm)].map((match) => match[1]!);
      assert.deepEqual(locked, ['colorlite', 'demo-common', 'tinyformat']);
      for (const name of [...locked, 'demo-server']) {
        await sh('docker', ['run', '--rm', '--entrypoint', 'python3', TAG, '-c', `import ${name.replace(/-/g, '_')}`]);
      }
      const where = (await sh('docker', ['run', '--rm', '--entrypoint', 'python3', TAG, '-c', 'import tinyformat, sys; print(sys.prefix, tinyformat.__file__)'])).trim();
      assert.equal(where, '/opt/venv /opt/venv/lib/python3.11/site-packages/tinyformat/__init__.py');
      // python3-pip is in the base packages, so pip itself can judge the venv.
      const listed = JSON.parse(await sh('docker', ['run', '--rm', '--entrypoint', 'python3', TAG, '-m', 'pip', 'list', '--format', 'json'])) as Array<{ name: string; version: string; editable_project_location?: string }>;
      for (const [name, version] of [['colorlite', '2.1.0'], ['demo-common', '0.1.0'], ['demo-server', '0.3.0'], ['tinyformat', '1.2.0']]) {
        const entry = listed.find((item) => item.name === name);
        assert.equal(entry?.version, version, `pip lists ${name}`);
        assert.equal(entry?.editable_project_location, undefined, `${name} is not editable`);
      }
      const editable = JSON.parse(await sh('docker', ['run', '--rm', '--entrypoint', 'python3', TAG, '-m', 'pip', 'list', '--editable', '--format', 'json'])) as unknown[];
      assert.deepEqual(editable, []);
      const check = await sh('docker', ['run', '--rm', '--entrypoint', 'python3', TAG, '-m', 'pip', 'check']);
      assert.match(check, /No broken requirements/);
    } finally {
      await sh('docker', ['rmi', TAG]).catch(() => undefined);
    }
  }
  await rm(work, { recursive: true, force: true });
});

test('bad Python input: one line naming the package, exit != 0, nothing written', { timeout: 1_200_000 }, async () => {
  const work = await tempDir();
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  // A good build first: it resolves kiln.lock and warms the base in the cache the bad builds share.
  const good = await project(join(work, 'good'));
  const built = await runKiln(['build', good, '-o', `oci:${work}/good-out`, '--quiet'], { env });
  assert.equal(built.code, 0, built.stderr);
  let n = 0;
  const variant = async (python?: string[]): Promise<string> => {
    const dir = await project(join(work, `bad-${++n}`), python);
    await cp(join(good, 'kiln.lock'), join(dir, 'kiln.lock'));
    return dir;
  };
  // The wheels and the layers made from them leave the cache, as on a machine that never fetched them.
  const forgetWheels = async (): Promise<void> => {
    await rm(join(work, 'cache/memo/layer'), { recursive: true, force: true });
    for (const spec of thirdPartyWheels) await rm(join(work, 'cache/blobs/sha256', sha256(buildWheel(spec))), { force: true });
  };
  const expectFailure = async (dir: string, pattern: RegExp): Promise<void> => {
    const destination = join(work, `never-${n}`);
    const result = await runKiln(['build', dir, '-o', `oci:${destination}`, '--quiet'], { env });
    assert.notEqual(result.code, 0, `${dir} built`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr.trim(), pattern);
    await assert.rejects(stat(destination), /ENOENT/, 'nothing written');
  };

  const tampered = await variant();
  await writeFile(join(tampered, 'wheels/tinyformat-1.2.0-py3-none-any.whl'), buildWheel({ ...thirdPartyWheels[0]!, files: { 'tinyformat/__init__.py': 'evil = True\n' } }));
  await forgetWheels();
  await expectFailure(tampered, /^kiln: (?:demo: )?tinyformat: tinyformat-1\.2\.0-py3-none-any\.whl: .*(digest|sha256|hash)/i);

  const incompatible = await variant();
  const lockPath = join(incompatible, 'demo-server/poetry.lock');
  await writeFile(lockPath, (await readFile(lockPath, 'utf8')).replace('tinyformat-1.2.0-py3-none-any.whl', 'tinyformat-1.2.0-cp311-cp311-win_amd64.whl'));
  await expectFailure(incompatible, /^kiln: (?:demo: )?no compatible wheel for tinyformat: none of its wheels \(tinyformat-1\.2\.0-cp311-cp311-win_amd64\.whl\) fits; tried \d+ tags \(cp311-cp311-manylinux_2_36_x86_64/);

  const lying = await variant();
  await replaceWheel(lying, { ...thirdPartyWheels[0]!, tamper: ['tinyformat/__init__.py'] });
  await expectFailure(lying, /^kiln: (?:demo: )?tinyformat-1\.2\.0-py3-none-any\.whl: "tinyformat\/__init__\.py" does not match its RECORD hash$/);

  const escaping = await variant();
  await replaceWheel(escaping, { ...thirdPartyWheels[0]!, listed: { '../../../../etc/cron.d/evil': '* * * * * root true\n' } });
  await expectFailure(escaping, /^kiln: (?:demo: )?tinyformat-1\.2\.0-py3-none-any\.whl: member "\.\.\/.*evil" would escape the install prefix$/);

  const stale = await variant();
  const pyproject = join(stale, 'demo-server/pyproject.toml');
  await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('colorlite = "^2.1"', 'colorlite = "^2.1"\nnumpy = "^1.26"'));
  await expectFailure(stale, /^kiln: (?:demo: )?.*demo-server\/poetry\.lock: lock is out of date with .*demo-server\/pyproject\.toml \(content-hash differs\)/);

  const port = await freePort();
  const offline = await variant([`index_url: http://127.0.0.1:${port}/simple`]);
  await forgetWheels();
  await expectFailure(offline, new RegExp(`^kiln: (?:demo: )?index http://127\\.0\\.0\\.1:${port}/simple \\(package (colorlite|tinyformat)\\): GET http://127\\.0\\.0\\.1:${port}/simple/(colorlite|tinyformat)/: connection refused after \\d+ attempts$`));

  await rm(work, { recursive: true, force: true });
});
