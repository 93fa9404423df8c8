// Issue 10 defect 8: a base whose diff_ids do not match its layers is refused before any output appears;
// a base without history builds into an image that kiln validate and umoci accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { imageWithLayers, tempDir, tempStore } from '../../src/testing/images.js';
import { sha256 } from '../../src/oci/digest.js';
import { withConfig } from '../../src/oci/mutate.js';
import { writeImage } from '../../src/places/index.js';

async function project(dir: string, base: string): Promise<string> {
  await mkdir(join(dir, 'site'), { recursive: true });
  await writeFile(join(dir, 'site/index.txt'), 'served by kiln\n');
  await writeFile(join(dir, 'kiln.yaml'), `images:\n  web:\n    base: ${base}\n    app: { src: site, dest: /srv }\n`);
  return dir;
}

test('a base whose diff_ids do not match its layers is refused with one line naming the layer, nothing written', { timeout: 300_000 }, async () => {
  const store = await tempStore();
  const work = await tempDir();
  const good = await imageWithLayers(store, { 'etc/a': 'a\n' }, { 'etc/b': 'b\n' });
  const bad = await withConfig(good, (config) => {
    config.rootfs.diff_ids[1] = sha256(Buffer.from('something else'));
  });
  await writeImage(`oci:${work}/bad-base`, bad, { store });
  const layer = (await bad.manifest()).layers[1]!.digest;
  const out = join(work, 'out');
  await mkdir(out);
  const result = await runKiln(['build', await project(join(work, 'p'), `oci:${work}/bad-base`), '-o', `oci:${out}/l`], { env: { KILN_CACHE_DIR: join(work, 'cache') } });
  assert.notEqual(result.code, 0);
  const lines = result.stderr.trimEnd().split('\n').filter((line) => line.startsWith('kiln: '));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, new RegExp(`layer 1 \\(${layer}\\): uncompressed content hashes to sha256:[0-9a-f]{64}, config says diff_id`));
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.deepEqual(await readdir(out), []);
});

test('a base without history builds into an image that kiln validate and umoci accept', { timeout: 300_000 }, async (t) => {
  const store = await tempStore();
  const work = await tempDir();
  const base = await withConfig(await imageWithLayers(store, { 'etc/a': 'a\n' }, { 'etc/b': 'b\n' }), (config) => {
    delete config.history;
  });
  await writeImage(`oci:${work}/base`, base, { store });
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const built = await runKiln(['build', await project(join(work, 'p'), `oci:${work}/base`), '-o', `oci:${work}/out:web`, '--json'], { env });
  assert.equal(built.code, 0, built.stderr);
  const validated = await runKiln(['validate', `oci:${work}/out:web`], { env });
  assert.equal(validated.code, 0, validated.stderr);
  if (await requireTool(t, 'umoci')) {
    await sh('umoci', ['unpack', '--rootless', '--image', `${work}/out:web`, join(work, 'bundle')]);
    assert.equal(await readFile(join(work, 'bundle/rootfs/srv/index.txt'), 'utf8'), 'served by kiln\n');
    assert.equal(await readFile(join(work, 'bundle/rootfs/etc/a'), 'utf8'), 'a\n');
  }
});
