// compression: zstd: the image kiln reports is the one in the OCI layout, the docker-archive and the registry, and
// skopeo, zstd and Docker Engine read its tar+zstd layers back to the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { imageWithLayers, tempDir, tempStore } from '../../src/testing/images.js';
import { startRegistry } from '../../src/testing/registry.js';
import { writeImage } from '../../src/places/index.js';

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

test('compression: zstd is one digest in every output and registry; skopeo, zstd and docker read it', { timeout: 600_000 }, async (t) => {
  const store = await tempStore();
  const work = await tempDir();
  await writeImage(`oci:${work}/base`, await imageWithLayers(store, { 'etc/base': 'base\n'.repeat(1000) }), { store });
  const project = join(work, 'project');
  await mkdir(join(project, 'site'), { recursive: true });
  await writeFile(join(project, 'site/index.txt'), 'hello from a zstd layer\n');
  await writeFile(join(project, 'kiln.yaml'), [
    'images:',
    '  web:',
    `    base: oci:${work}/base`,
    '    app: { src: site, dest: /srv }',
    '    compression: zstd',
    '',
  ].join('\n'));
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const built = await runKiln(['build', project, '-o', `oci:${work}/layout:web`, '-o', `docker-archive:${work}/web.tar:kiln-test/zstd:1`, '--json'], { env });
  assert.equal(built.code, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;
  const again = await runKiln(['build', project, '-o', `oci:${work}/again:web`, '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest, digest, 'a rebuild gives the same digest');

  const validated = await runKiln(['validate', `oci:${work}/layout:web`, `docker-archive:${work}/web.tar`], { env });
  assert.equal(validated.code, 0, validated.stderr);
  assert.match(validated.stdout, new RegExp(`^oci:${work}/layout:web: ok ${digest} `, 'm'));
  assert.match(validated.stdout, new RegExp(`^docker-archive:${work}/web.tar: ok ${digest} `, 'm'));
  const index = JSON.parse(await readFile(join(work, 'layout/index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(await readFile(join(work, 'layout/blobs', index.manifests[0]!.digest.replace(':', '/')), 'utf8')) as { layers: Array<{ mediaType: string; digest: string }> };
  assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), [ZSTD, ZSTD]);

  const registry = await startRegistry();
  try {
    const pushed = await runKiln(['push', `oci:${work}/layout:web`, `docker://${registry.host}/apps/web:1`], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const response = await fetch(`http://${registry.host}/v2/apps/web/manifests/1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), digest, 'the registry serves the manifest kiln built');
    if (await requireTool(t, 'skopeo')) {
      await sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${registry.host}/apps/web:1`, `oci:${work}/copied:web`]);
      assert.equal(sha256(await sh('skopeo', ['inspect', '--raw', `oci:${work}/copied:web`])), digest, 'skopeo copy keeps the digest');
    }
  } finally {
    await registry.stop();
  }
  // umoci reads zstd layers only from 0.5 (Debian 12 has 0.4.7): the zstd CLI and tar stand in for it here.
  await mkdir(join(work, 'rootfs'));
  for (const layer of manifest.layers) {
    await sh('bash', ['-c', `zstd -d -c ${join(work, 'layout/blobs', layer.digest.replace(':', '/'))} | tar -x -C ${join(work, 'rootfs')}`]);
  }
  assert.equal(await readFile(join(work, 'rootfs/srv/index.txt'), 'utf8'), 'hello from a zstd layer\n');
  assert.equal(await readFile(join(work, 'rootfs/etc/base'), 'utf8'), 'base\n'.repeat(1000));
  // Docker Engine reads zstd layers from 23.0 on; Debian 12's 20.10 takes the blob for a plain tar and fails.
  const engine = await requireTool(t, 'docker') ? Number((await sh('docker', ['version', '--format', '{{.Server.Version}}'])).split('.')[0]) : 0;
  if (engine < 23) t.diagnostic(`docker load skipped: Docker Engine ${engine || 'absent'} predates zstd layers (23.0)`);
  else {
    await sh('docker', ['load', '-i', join(work, 'web.tar')]);
    const id = (await sh('docker', ['create', 'kiln-test/zstd:1', '/none'])).trim();
    try {
      const listing = await sh('bash', ['-c', `docker export ${id} | tar -tf -`]);
      assert.match(listing, /^srv\/index\.txt$/m);
      assert.match(listing, /^etc\/base$/m);
    } finally {
      await sh('docker', ['rm', id]);
      await sh('docker', ['rmi', 'kiln-test/zstd:1']);
    }
  }
});
