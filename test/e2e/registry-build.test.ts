// Issue 4 through kiln build: a base pulled by tag from a real registry is pinned by digest in the
// image, and the result is pushed to another repository with the base blob mounted, then run by Docker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { tempDir, tempStore } from '../../src/testing/images.js';
import { startRegistry } from '../../src/testing/registry.js';
import { busyboxImage } from '../../src/testing/registry-images.js';
import { writeImage } from '../../src/places/index.js';

test('build on a docker:// base by tag, push to docker://: base pinned by digest, image runs', { timeout: 600_000 }, async (t) => {
  const registry = await startRegistry();
  const work = await tempDir();
  try {
    const store = await tempStore();
    await writeImage(`oci:${work}/busybox`, await busyboxImage(store, 'base says hi'), { store });
    const env = { KILN_CACHE_DIR: join(work, 'cache') };
    const pushed = await runKiln(['push', `oci:${work}/busybox`, `docker://${registry.host}/base/busybox:1`, '--json'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);

    const project = join(work, 'project');
    await mkdir(join(project, 'site'), { recursive: true });
    await writeFile(join(project, 'site/index.txt'), 'served by kiln\n');
    await writeFile(join(project, 'kiln.yaml'), [
      'images:',
      '  web:',
      `    base: docker://${registry.host}/base/busybox:1`,
      '    app: { src: site, dest: /srv }',
      '    entrypoint: [/bin/busybox, cat, /srv/index.txt]',
      '',
    ].join('\n'));
    const built = await runKiln(['build', project, '-o', `docker://${registry.host}/apps/web:v1`, '--json'], { env });
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, new RegExp(`web: base pinned as ${registry.host}/base/busybox:1@sha256:[0-9a-f]{64}`));
    const digest = (JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;

    if (await requireTool(t, 'skopeo')) {
      const baseInfo = JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/base/busybox:1`])) as { Digest: string };
      const info = JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/apps/web:v1`])) as { Digest: string; Labels: Record<string, string> };
      assert.equal(info.Digest, digest);
      assert.equal(info.Labels['org.opencontainers.image.base.digest'], baseInfo.Digest, 'the base is pinned by digest');
      assert.equal(info.Labels['org.opencontainers.image.base.name'], `${registry.host}/base/busybox:1`);
    }
    if (await requireTool(t, 'docker')) {
      const image = `${registry.host}/apps/web:v1`;
      await sh('docker', ['pull', image]);
      try {
        assert.equal((await sh('docker', ['run', '--rm', image])).trim(), 'served by kiln');
      } finally {
        await sh('docker', ['rmi', image]).catch(() => undefined);
      }
    }
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
});
