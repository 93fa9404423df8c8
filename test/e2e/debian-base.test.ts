// Issue 3 acceptance: the README's main job (hello-python on a distroless bookworm base assembled from
// Debian packages) runs under Docker; the lock pins it; bad apt input fails cleanly with nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { runKiln, repoRoot } from '../../src/testing/cli.js';
import { createAptRepo, type AptRepoPackage } from '../../src/testing/apt-repo.js';
import { handMadeDeb } from '../../src/testing/deb-file.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

interface BuildJson {
  images: Array<{ name: string; digest: string; size: number; unpackedSize: number; layers: Array<{ digest: string; holds: string }> }>;
}

async function copyExample(dir: string): Promise<string> {
  await cp(join(repoRoot, 'examples/hello-python'), dir, { recursive: true, filter: (src) => !/\/(out|kiln\.lock)$/.test(src) });
  return dir;
}

test('hello-python on a distroless bookworm base: runs as 65532, imports stdlib C modules, pinned by kiln.lock', { timeout: 900_000 }, async (t) => {
  const work = await tempDir();
  const project = await copyExample(join(work, 'hello'));
  // The shared cache for the first build (bookworm's python3 .debs are other files' too); the second has its own.
  const env = { KILN_CACHE_DIR: sharedCacheDir() };
  const first = await runKiln(['build', project, '--json'], { env });
  assert.equal(first.code, 0, first.stderr);
  const report = (JSON.parse(first.stdout) as BuildJson).images[0]!;
  t.diagnostic(`hello-python: ${report.size} bytes compressed, ${report.unpackedSize} bytes unpacked, ${report.layers.length} layers`);
  assert.ok(report.unpackedSize < 60_000_000, `at most 60 MB unpacked, got ${report.unpackedSize}`);

  // The lock names every package; a build from the lock with an empty cache gives the same digest.
  const lock = parse(await readFile(join(project, 'kiln.lock'), 'utf8')) as { bases: Record<string, { packages: Array<{ name: string; sha256: string }> }> };
  const locked = lock.bases['hello-python']!.packages.map((p) => p.name).sort();
  assert.ok(locked.includes('python3.11-minimal') && locked.includes('libc6') && locked.includes('ca-certificates'));
  assert.ok(!locked.includes('dpkg') && !locked.includes('perl-base') && !locked.includes('bash'), 'distroless leaves out dpkg, perl and the shell');
  const second = await runKiln(['build', project, '-o', `oci:${work}/again`, '--json'], { env: { KILN_CACHE_DIR: join(work, 'cache-2') } });
  assert.equal(second.code, 0, second.stderr);
  assert.equal((JSON.parse(second.stdout) as BuildJson).images[0]!.digest, report.digest);

  if (await requireTool(t, 'umoci')) {
    const bundle = join(work, 'bundle');
    await sh('umoci', ['unpack', '--image', `${project}/out/hello-python:latest`, bundle]);
    const statusD = (await readdir(join(bundle, 'rootfs/var/lib/dpkg/status.d'))).filter((name) => !name.endsWith('.md5sums')).sort();
    assert.deepEqual(statusD, locked, 'status.d lists exactly the locked packages');
    await assert.rejects(stat(join(bundle, 'rootfs/bin/sh')), /ENOENT/, 'distroless: no shell');
    const tmp = await stat(join(bundle, 'rootfs/tmp'));
    assert.equal(tmp.mode & 0o7777, 0o1777);
    assert.match(await readFile(join(bundle, 'rootfs/etc/passwd'), 'utf8'), /^nonroot:x:65532:65532:/m);
    assert.match(await readFile(join(bundle, 'rootfs/etc/os-release'), 'utf8'), /VERSION_CODENAME=bookworm/);
  }
  if (await requireTool(t, 'docker')) {
    await sh('docker', ['load', '-i', join(project, 'out/hello-python.tar')]);
    try {
      const check = await sh('docker', ['run', '--rm', '--entrypoint', 'python3', 'kiln/hello-python:latest', '-c',
        'import ssl, sqlite3, json, zlib, ctypes, os; ssl.create_default_context(); print(os.getuid())']);
      assert.equal(check.trim(), '65532');
      const port = await freePort();
      const id = (await sh('docker', ['run', '-d', '--rm', '--read-only', '-p', `127.0.0.1:${port}:8080`, 'kiln/hello-python:latest'])).trim();
      try {
        const response = await httpGetWithRetry(`http://127.0.0.1:${port}/`);
        assert.equal(response.status, 200);
        assert.deepEqual(Object.keys(JSON.parse(response.body) as object).sort(), ['message', 'python', 'uid']);
      } finally {
        await sh('docker', ['rm', '-f', id]).catch(() => undefined);
      }
    } finally {
      await sh('docker', ['rmi', 'kiln/hello-python:latest']).catch(() => undefined);
    }
  }

  // A bookworm lock refuses a trixie request instead of silently mixing releases.
  const manifest = join(project, 'kiln.yaml');
  await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('release: bookworm', 'release: trixie'));
  const trixie = await runKiln(['build', project, '-o', `oci:${work}/trixie`], { env });
  assert.notEqual(trixie.code, 0);
  assert.match(trixie.stderr.trim().split('\n').at(-1)!, /kiln\.lock: base "hello-python" is locked for debian bookworm, but debian trixie is requested; run kiln lock/);
  await assert.rejects(stat(join(work, 'trixie')), /ENOENT/);
  await rm(work, { recursive: true, force: true });
});

// The distroless variant always adds these; the local repository provides empty stand-ins.
const DISTROLESS_STANDINS: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1.0', files: { [`usr/share/doc/${name}/copyright`]: 'test\n' } }));

test('bad apt input: each a one-line error naming the culprit, nothing written, cache still valid', { timeout: 600_000 }, async (t) => {
  const packages: AptRepoPackage[] = [
    ...DISTROLESS_STANDINS,
    { name: 'hello-tool', version: '1.0', depends: 'libhello (>= 1.0)', files: { 'usr/bin/hello-tool': { data: '#!/bin/true\n', mode: 0o755 } } },
    { name: 'libhello', version: '1.0', files: { 'usr/lib/libhello.so.1': 'lib' } },
    { name: 'greedy-tool', version: '1.0', depends: 'libhello (>= 2.0)' },
    { name: 'evil-tool', version: '1.0', deb: await handMadeDeb('evil-tool', [{ name: './usr/../../etc/evil', data: 'x' }]) },
  ];
  const repo = await createAptRepo({
    suite: 'bookworm',
    codename: 'bookworm',
    packages,
    suites: [{ suite: 'bookworm-updates', codename: 'bookworm', packages: [] }, { suite: 'bookworm-security', codename: 'bookworm-security', packages: [] }],
  });
  t.after(() => repo.close());
  const work = await tempDir();
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const project = async (name: string, wanted: string[], overrides: { mirror?: string; keyring?: string } = {}) => {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'kiln.yaml'), [
      'images:',
      '  tool:',
      '    base:',
      '      distro: debian',
      '      release: bookworm',
      `      packages: [${wanted.join(', ')}]`,
      `      mirror: ${overrides.mirror ?? repo.url}`,
      `      security_mirror: ${overrides.mirror ?? repo.url}`,
      `      keyring: ${overrides.keyring ?? repo.keyring}`,
      '    entrypoint: [/usr/bin/hello-tool]',
      '',
    ].join('\n'));
    return dir;
  };
  const expectFailure = async (dir: string, pattern: RegExp, cache = env.KILN_CACHE_DIR) => {
    const out = join(work, `${dir.split('/').at(-1)}-out`);
    const result = await runKiln(['build', dir, '-o', `oci:${out}`], { env: { KILN_CACHE_DIR: cache } });
    assert.notEqual(result.code, 0, `expected failure for ${dir}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.filter((line) => line.startsWith('kiln:')).length, 1, result.stderr);
    assert.match(lines.at(-1)!, pattern);
    await assert.rejects(stat(out), /ENOENT/, 'no image written');
  };

  // The good case first: it proves the repository and the stand-ins are enough.
  const good = await project('good', ['hello-tool']);
  const built = await runKiln(['build', good, '-o', `oci:${work}/good-out`, '--json'], { env });
  assert.equal(built.code, 0, built.stderr);

  await expectFailure(await project('unknown', ['no-such-package']), /no-such-package/);
  await expectFailure(await project('unsatisfiable', ['greedy-tool']), /cannot satisfy "libhello \(>= 2\.0\)" needed by greedy-tool -> libhello: only 1\.0 available/);
  await expectFailure(await project('stranger', ['hello-tool'], { keyring: repo.strangerKeyring }), /InRelease is signed by a key that is not in /);
  await expectFailure(await project('escape', ['evil-tool']), /evil-tool.*\.\.\/\.\.\/etc\/evil.*escapes/);
  const closed = await freePort();
  await expectFailure(await project('unreachable', ['hello-tool'], { mirror: `http://127.0.0.1:${closed}/debian` }), new RegExp(`127\\.0\\.0\\.1:${closed}.*(ECONNREFUSED|connect)`));

  // Tampered .deb after locking: the build names the package; the cache keeps nothing for it.
  const locked = await project('tampered-deb', ['hello-tool']);
  assert.equal((await runKiln(['lock', locked], { env: { KILN_CACHE_DIR: join(work, 'lock-cache') } })).code, 0);
  await repo.tamperDeb('libhello');
  const tamperCache = join(work, 'tamper-cache');
  const tampered = await runKiln(['build', locked, '-o', `oci:${work}/tampered-out`], { env: { KILN_CACHE_DIR: tamperCache } });
  assert.notEqual(tampered.code, 0);
  assert.match(tampered.stderr.trim().split('\n').at(-1)!, /package libhello 1\.0 .*digest mismatch/);
  await assert.rejects(stat(join(work, 'tampered-out')), /ENOENT/);
  const verify = await runKiln(['validate', `oci:${work}/good-out`], { env: { KILN_CACHE_DIR: tamperCache } });
  assert.equal(verify.code, 0, 'the cache is still usable after a refused download');

  // A fresh cache: a verified index already cached by its signed digest is rightly never fetched again.
  await repo.tamperPackages('amd64', 'main', 'bookworm');
  await expectFailure(await project('tampered-index', ['hello-tool']), /Packages.*(digest|size|sha256).*mismatch|mismatch.*Packages/i, join(work, 'fresh-cache'));

  const unsigned = await createAptRepo({ suite: 'bookworm', codename: 'bookworm', packages: DISTROLESS_STANDINS, signed: false,
    suites: [{ suite: 'bookworm-updates', codename: 'bookworm', packages: [] }, { suite: 'bookworm-security', codename: 'bookworm-security', packages: [] }] });
  await expectFailure(await project('unsigned', ['base-files'], { mirror: unsigned.url, keyring: unsigned.keyring }), /InRelease.*(not signed|no signature|unsigned)/i);
  t.after(() => unsigned.close());
  await rm(work, { recursive: true, force: true });
});
