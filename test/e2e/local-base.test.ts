// Issue 2 acceptance: an image built on a local (debootstrap) base loads into Docker, runs, answers;
// skopeo and umoci accept the layout; two checkouts give the same digest; bad input fails cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln, repoRoot } from '../../src/testing/cli.js';
import { debootstrapBase } from '../../src/testing/debootstrap-base.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';

async function project(base: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await cp(join(repoRoot, 'examples/hello-python/server.py'), join(dir, 'server.py'));
  await writeFile(join(dir, '.dockerignore'), 'kiln.yaml\nsecret.txt\n');
  await writeFile(join(dir, 'secret.txt'), 'do not ship\n');
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  hello:',
    `    base: docker-archive:${base}`,
    '    app: { src: ., dest: /app }',
    '    entrypoint: [python3, /app/server.py]',
    '    env: { PORT: "8080" }',
    '    ports: [8080]',
    '    annotations: { version: 1.2.3, source: https://example.com/hello }',
    '',
  ].join('\n'));
  return dir;
}

interface BuildJson {
  images: Array<{ name: string; digest: string; size: number; unpackedSize: number; layers: Array<{ digest: string; size: number; diffId: string; holds: string }>; outputs: string[] }>;
}

test('a stdlib app on a debootstrap base: reproducible, valid for skopeo/umoci, runs under docker', { timeout: 900_000 }, async (t) => {
  const base = await debootstrapBase();
  const work = await tempDir();
  const cacheA = join(work, 'cache-a');
  const cacheB = join(work, 'cache-b');
  const first = await project(base, join(work, 'checkout-one'));
  const second = await project(base, join(work, 'somewhere', 'else', 'checkout-two'));

  const a = await runKiln(['build', first, '-o', `oci:${work}/layout:hello`, '-o', `docker-archive:${work}/hello.tar:kiln-test/hello:e2e`, '--json'], { env: { KILN_CACHE_DIR: cacheA } });
  assert.equal(a.code, 0, a.stderr);
  const report = (JSON.parse(a.stdout) as BuildJson).images[0]!;
  assert.equal(report.name, 'hello');
  assert.equal(report.layers.length, 2, 'base layer + app layer');
  assert.equal(report.layers[1]!.holds, 'app');
  assert.ok(report.unpackedSize > report.size, 'layers are compressed');

  await new Promise((resolve) => setTimeout(resolve, 1500));
  await writeFile(join(second, 'server.py'), await readFile(join(first, 'server.py'))); // fresh mtime
  const b = await runKiln(['build', second, '-o', `oci:${work}/layout-b`, '--json'], { env: { KILN_CACHE_DIR: cacheB } });
  assert.equal(b.code, 0, b.stderr);
  assert.equal((JSON.parse(b.stdout) as BuildJson).images[0]!.digest, report.digest, 'same inputs, other path, other cache, later: same digest');

  const validate = await runKiln(['validate', `oci:${work}/layout:hello`, `docker-archive:${work}/hello.tar`], { env: { KILN_CACHE_DIR: cacheA } });
  assert.equal(validate.code, 0, validate.stderr);

  if (await requireTool(t, 'skopeo')) {
    const inspected = JSON.parse(await sh('skopeo', ['inspect', `oci:${work}/layout:hello`])) as { Digest: string; Labels: Record<string, string>; Layers: string[] };
    assert.equal(inspected.Digest, report.digest);
    assert.equal(inspected.Labels['org.opencontainers.image.version'], '1.2.3');
    assert.deepEqual(inspected.Layers, report.layers.map((l) => l.digest));
    const archive = JSON.parse(await sh('skopeo', ['inspect', `docker-archive:${work}/hello.tar`])) as { Layers: string[] };
    assert.equal(archive.Layers.length, 2);
  }
  if (await requireTool(t, 'umoci')) {
    const bundle = join(work, 'bundle');
    await sh('umoci', ['unpack', '--image', `${work}/layout:hello`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    assert.equal(await readFile(join(rootfs, 'app/server.py'), 'utf8'), await readFile(join(first, 'server.py'), 'utf8'));
    await assert.rejects(stat(join(rootfs, 'app/secret.txt')), /ENOENT/, '.dockerignore is honoured');
    const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { user: { uid: number }; args: string[]; cwd: string } };
    assert.equal(config.process.user.uid, 65532);
    assert.deepEqual(config.process.args, ['python3', '/app/server.py']);
    assert.equal(config.process.cwd, '/app');
  }
  if (await requireTool(t, 'docker')) {
    await sh('docker', ['load', '-i', join(work, 'hello.tar')]);
    const port = await freePort();
    const id = (await sh('docker', ['run', '-d', '--rm', '-p', `127.0.0.1:${port}:8080`, 'kiln-test/hello:e2e'])).trim();
    try {
      const response = await httpGetWithRetry(`http://127.0.0.1:${port}/`);
      assert.equal(response.status, 200);
      const body = JSON.parse(response.body) as { message: string; uid: number };
      assert.equal(body.message, 'hello from kiln');
      assert.equal(body.uid, 65532);
    } finally {
      await sh('docker', ['rm', '-f', id]).catch(() => undefined);
      await sh('docker', ['rmi', 'kiln-test/hello:e2e']).catch(() => undefined);
    }
  }
  await rm(work, { recursive: true, force: true });
});

test('an app change rebuilds only the app layer', { timeout: 600_000 }, async () => {
  const base = await debootstrapBase();
  const work = await tempDir();
  const dir = await project(base, join(work, 'p'));
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const first = JSON.parse((await runKiln(['build', dir, '-o', `oci:${work}/out`, '--json'], { env })).stdout) as BuildJson;
  await writeFile(join(dir, 'server.py'), `${await readFile(join(dir, 'server.py'), 'utf8')}\n# changed\n`);
  const second = JSON.parse((await runKiln(['build', dir, '-o', `oci:${work}/out`, '--json'], { env })).stdout) as BuildJson;
  const [a, b] = [first.images[0]!, second.images[0]!];
  assert.equal(a.layers[0]!.digest, b.layers[0]!.digest, 'base layer unchanged');
  assert.notEqual(a.layers[1]!.digest, b.layers[1]!.digest, 'app layer changed');
  assert.notEqual(a.digest, b.digest);
  await rm(work, { recursive: true, force: true });
});

test('bad input: one line naming the culprit, exit != 0, nothing written', { timeout: 600_000 }, async () => {
  const base = await debootstrapBase();
  const work = await tempDir();
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const expectFailure = async (dir: string, pattern: RegExp, output = `oci:${work}/never`) => {
    const result = await runKiln(['build', dir, '-o', output], { env });
    assert.notEqual(result.code, 0);
    // Progress lines may precede it; the error is the one line that starts with "kiln:", and it is last.
    const lines = result.stderr.trim().split('\n');
    const errors = lines.filter((line) => line.startsWith('kiln:'));
    assert.equal(errors.length, 1, `one error line, got: ${result.stderr}`);
    assert.equal(lines.at(-1), errors[0]);
    assert.match(errors[0]!, pattern);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace without --debug');
    await assert.rejects(stat(join(work, 'never')), /ENOENT/);
  };

  const malformed = await project(base, join(work, 'malformed'));
  await writeFile(join(malformed, 'kiln.yaml'), 'images:\n  hello:\n    base: [unclosed\n');
  await expectFailure(malformed, /kiln\.yaml:\d+:\d+: YAML syntax/);

  const typo = await project(base, join(work, 'typo'));
  await writeFile(join(typo, 'kiln.yaml'), (await readFile(join(typo, 'kiln.yaml'), 'utf8')).replace('entrypoint', 'entrypiont'));
  await expectFailure(typo, /kiln\.yaml:5:5: unknown key "entrypiont" in images\.hello \(did you mean "entrypoint"\?\)/);

  const missing = await project(join(work, 'no-such-base.tar'), join(work, 'missing'));
  await expectFailure(missing, /no-such-base\.tar.*(ENOENT|no such)/);

  // A base whose layer blob does not match its digest: copy the layout and flip a byte in the layer.
  const good = await project(base, join(work, 'good'));
  assert.equal((await runKiln(['build', good, '-o', `oci:${work}/base-layout:b`], { env })).code, 0);
  const layoutBlobs = join(work, 'base-layout', 'blobs', 'sha256');
  const sizes = await Promise.all((await readdir(layoutBlobs)).map(async (name) => ({ name, size: (await stat(join(layoutBlobs, name))).size })));
  const biggest = sizes.sort((x, y) => y.size - x.size)[0]!;
  const bytes = await readFile(join(layoutBlobs, biggest.name));
  bytes[1000] = bytes[1000]! ^ 0xff;
  await writeFile(join(layoutBlobs, biggest.name), bytes);
  const tampered = await project(base, join(work, 'tampered'));
  await writeFile(join(tampered, 'kiln.yaml'), (await readFile(join(tampered, 'kiln.yaml'), 'utf8')).replace(`docker-archive:${base}`, `oci:${work}/base-layout:b`));
  await expectFailure(tampered, new RegExp(`layer sha256:${biggest.name}: digest mismatch`));

  const escape = await project(base, join(work, 'escape'));
  await symlink('../../../../etc/shadow', join(escape, 'sneaky'));
  await expectFailure(escape, /sneaky: symlink to "..\/..\/..\/..\/etc\/shadow" would escape the image root/);

  const dotdot = await project(base, join(work, 'dotdot'));
  await writeFile(join(dotdot, 'kiln.yaml'), (await readFile(join(dotdot, 'kiln.yaml'), 'utf8')).replace('dest: /app', 'dest: /app/../../etc'));
  await expectFailure(dotdot, /app destination "\/app\/..\/..\/etc".*escapes the image root/);

  const readOnly = join(work, 'read-only');
  await mkdir(readOnly);
  await chmod(readOnly, 0o555);
  const unwritable = await project(base, join(work, 'unwritable'));
  const result = await runKiln(['build', unwritable, '-o', `docker-archive:${readOnly}/sub/x.tar`], { env: { ...env } });
  if (process.getuid?.() !== 0) {
    assert.notEqual(result.code, 0);
    assert.match(result.stderr.trim().split('\n').at(-1)!, /^kiln: writing docker-archive:.*read-only\/sub\/x\.tar: (EACCES|EPERM)/);
  }
  // As root, permissions do not stop writes; a path under a regular file does.
  const blocker = join(work, 'a-file');
  await writeFile(blocker, 'x');
  const blocked = await runKiln(['build', unwritable, '-o', `oci:${blocker}/layout`], { env });
  assert.notEqual(blocked.code, 0);
  assert.match(blocked.stderr.trim().split('\n').at(-1)!, /^kiln: writing .*a-file\/layout: (ENOTDIR|EEXIST)/);
  await rm(work, { recursive: true, force: true });
});
