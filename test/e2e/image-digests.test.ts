// Issue 11: an image keeps its digest wherever it goes. kiln build --json, every output kind read back,
// a push from the docker-archive output, and skopeo's copy of that archive all agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { imageWithLayers, tempDir, tempStore } from '../../src/testing/images.js';
import { startRegistry } from '../../src/testing/registry.js';
import { imageFromParts } from '../../src/oci/image.js';
import { writeImage } from '../../src/places/index.js';
import type { ImageConfig } from '../../src/oci/spec.js';

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

test('build --json digest == oci: and docker-archive: read back == pushed from the archive; skopeo keeps the config digest', { timeout: 600_000 }, async (t) => {
  const store = await tempStore();
  const work = await tempDir();
  // A base whose history times carry milliseconds, as JavaScript's toISOString writes them.
  const plain = await imageWithLayers(store, { 'etc/base': 'base\n' });
  const config = structuredClone(await plain.config()) as ImageConfig;
  config.created = '2020-01-01T00:00:00.000Z';
  config.history = config.history!.map((entry) => ({ ...entry, created: '2020-01-01T00:00:00.000Z' }));
  await writeImage(`oci:${work}/base`, imageFromParts({ config, layers: await plain.layers() }), { store });

  const project = join(work, 'project');
  await mkdir(join(project, 'site'), { recursive: true });
  await writeFile(join(project, 'site/index.txt'), 'hi\n');
  await writeFile(join(project, 'kiln.yaml'), [
    'images:',
    '  web:',
    `    base: oci:${work}/base`,
    '    app: { src: site, dest: /srv }',
    '    annotations: { version: 1.2.3 }',
    '',
  ].join('\n'));
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const built = await runKiln(['build', project, '-o', `oci:${work}/layout:web`, '-o', `docker-archive:${work}/web.tar:kiln-test/web:1`, '--json'], { env });
  assert.equal(built.code, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;

  const validated = await runKiln(['validate', `oci:${work}/layout:web`, `docker-archive:${work}/web.tar`], { env });
  assert.equal(validated.code, 0, validated.stderr);
  assert.match(validated.stdout, new RegExp(`^oci:${work}/layout:web: ok ${digest} `, 'm'));
  assert.match(validated.stdout, new RegExp(`^docker-archive:${work}/web.tar: ok ${digest} `, 'm'));

  const registry = await startRegistry();
  try {
    const pushed = await runKiln(['push', `docker-archive:${work}/web.tar`, `docker://${registry.host}/apps/web:1`], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const response = await fetch(`http://${registry.host}/v2/apps/web/manifests/1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(sha256(body), digest, 'the registry serves the manifest kiln built');
    assert.equal(JSON.parse(body.toString('utf8')).annotations['org.opencontainers.image.version'], '1.2.3');
  } finally {
    await registry.stop();
  }

  if (await requireTool(t, 'skopeo')) {
    const kilnConfig = JSON.parse(await sh('skopeo', ['inspect', '--raw', `oci:${work}/layout:web`])) as { config: { digest: string } };
    await sh('skopeo', ['copy', `docker-archive:${work}/web.tar`, `oci:${work}/skopeo:web`]);
    const copied = JSON.parse(await sh('skopeo', ['inspect', '--raw', `oci:${work}/skopeo:web`])) as { config: { digest: string } };
    assert.equal(copied.config.digest, kilnConfig.config.digest, 'skopeo re-serialises the config to the same bytes');
    assert.equal(sha256(await sh('skopeo', ['inspect', '--config', '--raw', `oci:${work}/skopeo:web`])), kilnConfig.config.digest);
  }
});
