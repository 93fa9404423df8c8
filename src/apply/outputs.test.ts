// An oci: output named without a tag is tagged latest, so umoci (which opens a layout by tag, latest by default) and
// skopeo (which opens an untagged oci:DIR only when it holds one manifest) both read it; the SBOM goes only beside a
// tag the user wrote. Checked with the real tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { requireTool } from '../testing/docker.js';
import type { ImagePlan } from '../plan/index.js';
import type { Index } from '../oci/spec.js';
import { outputPublisher } from './outputs.js';

const run = promisify(execFile);
const REF_NAME = 'org.opencontainers.image.ref.name';
const sbom = { mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from('{"bomFormat":"CycloneDX"}'), annotations: {} };

async function indexOf(layout: string): Promise<Array<[string | undefined, string | undefined]>> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  return index.manifests.map((m) => [m.annotations?.[REF_NAME], m.artifactType]);
}

test('oci:PATH without a tag is tagged latest and holds the image alone; umoci and skopeo open it; a named tag also gets the SBOM', async (t) => {
  if (!(await requireTool(t, 'skopeo')) || !(await requireTool(t, 'umoci'))) return;
  const work = await tempDir();
  try {
    const store = await tempStore();
    const image = await imageWithLayers(store, { 'app/hello.txt': 'hello\n' });
    const digest = await image.digest();
    const plain = join(work, 'plain');
    const named = join(work, 'named');
    const entry = { name: 'demo', outputs: [`oci:${plain}`, `oci:${named}:v1`] } as unknown as ImagePlan;
    const written = await outputPublisher({ store, env: {}, log: () => {} })(entry, image, [sbom]);
    assert.deepEqual(written, [`oci:${plain}`, `oci:${named}:v1`]);

    assert.deepEqual(await indexOf(plain), [['latest', undefined]]);
    assert.deepEqual(await indexOf(named), [['v1', undefined], [undefined, sbom.mediaType]]);

    // skopeo: the untagged reference still picks the one manifest, and :latest names it too.
    for (const reference of [`oci:${plain}`, `oci:${plain}:latest`]) {
      const { stdout } = await run('skopeo', ['inspect', '--raw', reference]);
      assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, digest, reference);
    }
    // umoci: ls names the tag, and unpack --image PATH (no tag) means PATH:latest.
    assert.equal((await run('umoci', ['ls', '--layout', plain])).stdout.trim(), 'latest');
    const bundle = join(work, 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', plain, bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs/app/hello.txt'), 'utf8'), 'hello\n');
    // With the SBOM beside it, an untagged skopeo reference is ambiguous: the README says to name the tag.
    await assert.rejects(run('skopeo', ['inspect', '--raw', `oci:${named}`]), /more than one image/);

    // A rebuild with another image replaces latest instead of adding a second, untagged-ambiguous manifest.
    const next = await imageWithLayers(store, { 'app/hello.txt': 'hello again\n' });
    await outputPublisher({ store, env: {}, log: () => {} })({ name: 'demo', outputs: [`oci:${plain}`] } as unknown as ImagePlan, next, [sbom]);
    const index = JSON.parse(await readFile(join(plain, 'index.json'), 'utf8')) as Index;
    assert.deepEqual(index.manifests.map((m) => [m.digest, m.annotations?.[REF_NAME]]), [[await next.digest(), 'latest']]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
