// Issue 14: kiln's own image. Built by `kiln self-image` from a compiled copy of this checkout, twice with separate
// caches to one digest, loaded into Docker and run as a restricted pod would run it: uid 65532, read-only root,
// /tmp and the cache as the only writable paths, no capabilities. Inside it kiln builds a scratch+app image and
// builds a pushed context (the pod command) to a registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { compiledCheckout, runProcess as run } from '../../src/testing/kiln-image.js';
import { startRegistry } from '../../src/testing/registry.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

const TAG = 'kiln-test/kiln:e2e';
const POD = ['--user', '65532:65532', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

interface Report {
  digest: string;
  size: number;
  unpackedSize: number;
  layers: Array<{ digest: string; diffId: string; size: number; holds: string }>;
}

function imageReport(stdout: string): Report {
  return (JSON.parse(stdout) as { images: Report[] }).images[0]!;
}

test('kiln self-image: reproducible, runs kiln --version and real builds as uid 65532 on a read-only root', { timeout: 1_800_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir();
  const registry = await startRegistry();
  try {
    const checkout = join(work, 'checkout');
    await compiledCheckout(checkout);
    const kiln = join(checkout, 'bin/kiln.js');
    // The first build uses the e2e files' shared cache (workflow-argo builds this image from the same .debs); the
    // second, its own empty one.
    const shared = sharedCacheDir();
    const started = performance.now();
    const first = await run(process.execPath, [kiln, 'self-image', '-o', `oci:${work}/kiln:e2e`, '-o', `docker-archive:${work}/kiln.tar:${TAG}`, '--json'], { cwd: work, env: { KILN_CACHE_DIR: shared } });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(first.code, 0, first.stderr);
    const report = imageReport(first.stdout);
    t.diagnostic(`self-image: ${seconds.toFixed(1)} s (cache ${shared}), ${(report.size / 1e6).toFixed(1)} MB compressed, ${(report.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${report.digest}`);
    for (const layer of report.layers) t.diagnostic(`  ${(layer.size / 1e6).toFixed(1)} MB  ${layer.holds}`);
    assert.deepEqual(report.layers.slice(-2).map((layer) => layer.holds), ['node_modules', 'kiln'], 'node_modules, then kiln, in layers of their own');
    await readFile(join(checkout, 'images/kiln/kiln.lock'));

    // Another cache (every .deb fetched again), the lock the first build wrote: the same digest.
    const second = await run(process.execPath, [kiln, 'self-image', '-o', `oci:${work}/kiln-again:e2e`, '--json'], { cwd: work, env: { KILN_CACHE_DIR: join(work, 'cache-2') } });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(imageReport(second.stdout).digest, report.digest);

    await sh('docker', ['load', '-i', join(work, 'kiln.tar')]);
    try {
      const inspect = JSON.parse(await sh('docker', ['image', 'inspect', TAG])) as Array<{ Config: { User: string; Entrypoint: string[]; Env: string[] } }>;
      const config = inspect[0]!.Config;
      assert.equal(config.User, '65532:65532');
      assert.deepEqual(config.Entrypoint, ['node', '/opt/kiln/bin/kiln.js']);
      assert.ok(config.Env.includes('HOME=/tmp') && config.Env.includes('KILN_CACHE_DIR=/tmp/kiln-cache'), config.Env.join(' '));
      const version = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
      assert.equal((await sh('docker', ['run', '--rm', ...POD, TAG, '--version'])).trim(), version);
      const shell = await run('docker', ['run', '--rm', '--entrypoint', '/bin/sh', TAG, '-c', 'true']);
      assert.notEqual(shell.code, 0, 'no shell in the image');

      // A real build inside: a scratch base and an app folder, to an oci: output under /tmp; twice, one digest.
      const project = join(work, 'tiny');
      await mkdir(join(project, 'site'), { recursive: true });
      await writeFile(join(project, 'site/index.txt'), 'built by kiln in kiln\n');
      await writeFile(join(project, 'kiln.yaml'), 'images:\n  tiny:\n    base: scratch\n    app: {src: site, dest: /srv}\n    entrypoint: [/srv/index.txt]\n');
      await chmod(work, 0o755);
      await run('chmod', ['-R', 'a+rX', project]);
      const inside = async (): Promise<Report> => {
        const built = await run('docker', ['run', '--rm', ...POD, '-v', `${project}:/work:ro`, TAG, 'build', '/work', '-o', 'oci:/tmp/out:tiny', '--json']);
        assert.equal(built.code, 0, built.stderr);
        return imageReport(built.stdout);
      };
      const [one, two] = [await inside(), await inside()];
      assert.equal(one.digest, two.digest);
      const host = await runKiln(['build', project, '-o', `oci:${work}/tiny-host:tiny`, '--json'], { env: { KILN_CACHE_DIR: shared } });
      assert.equal(host.code, 0, host.stderr);
      // Layer contents agree with a build outside; gzip bytes follow the zlib Node links (Debian's vs Node's bundled).
      assert.deepEqual(one.layers.map((layer) => layer.diffId), imageReport(host.stdout).layers.map((layer) => layer.diffId));

      // The pod command: a pushed context, built inside with the cache on its own tmpfs, pushed to a registry.
      const pushed = await runKiln(['context', 'push', project, `${registry.host}/contexts/tiny:v1`], { env: { KILN_CACHE_DIR: shared } });
      assert.equal(pushed.code, 0, pushed.stderr);
      const reference = pushed.stdout.trim();
      const pod = await run('docker', ['run', '--rm', ...POD, '--tmpfs', '/cache', '-e', 'KILN_CACHE_DIR=/cache', '--network', 'host', TAG,
        'build', '--context', reference, '--only', 'tiny', '-o', `docker://${registry.host}/apps/tiny:ctx`, '--json']);
      assert.equal(pod.code, 0, pod.stderr);
      assert.equal(imageReport(pod.stdout).digest, one.digest);
      const head = await fetch(`http://${registry.host}/v2/apps/tiny/manifests/ctx`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(head.headers.get('docker-content-digest'), one.digest);
    } finally {
      await sh('docker', ['rmi', TAG]).catch(() => undefined);
    }
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
});
