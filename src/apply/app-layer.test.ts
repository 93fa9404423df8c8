// kiln never packs its own outputs into an app layer: with app.src at the project root, the oci: layout, the
// docker-archive file and generated/ (all under it) stay out, kiln plan says so, and a second build (with the first
// build's outputs now on disk) has the same app digest and the same image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../testing/cli.js';
import { tempDir } from '../testing/images.js';
import { readLayerTree } from '../testing/layer-tree.js';
import { readOciLayout } from '../places/oci-layout.js';
import type { BuildPlan } from '../plan/types.js';

const MANIFEST = `images:
  demo:
    base: scratch
    app: {src: ., dest: /app}
    cmd: [/app/run]
    outputs: ["oci:out/demo", "docker-archive:out/demo.tar:demo:latest"]
`;

test('outputs under app.src and generated/ stay out of the app layer; the app digest and image are stable across builds', { timeout: 300_000 }, async () => {
  const dir = await tempDir('kiln-app-outputs-');
  try {
    await writeFile(join(dir, 'kiln.yaml'), MANIFEST);
    await writeFile(join(dir, 'run'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await mkdir(join(dir, 'generated/demo'), { recursive: true });
    await writeFile(join(dir, 'generated/demo/Dockerfile'), 'FROM scratch\n');
    const env = { KILN_CACHE_DIR: join(dir, '.cache'), SOURCE_DATE_EPOCH: '1700000000' };
    await writeFile(join(dir, '.dockerignore'), '.cache\n');

    const human = await runKiln(['plan', dir], { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /\n {2}app leaves out kiln's outputs: generated, out\/demo, out\/demo\.tar\n/);
    const planDigest = async (): Promise<string> => {
      const planned = await runKiln(['plan', dir, '--json'], { env });
      assert.equal(planned.code, 0, planned.stderr);
      const image = (JSON.parse(planned.stdout) as BuildPlan).images[0]!;
      assert.deepEqual(image.app?.exclude?.filter((path) => path !== 'kiln-report.html'), ['generated', 'out/demo', 'out/demo.tar']);
      return image.pinned!.app!.digest;
    };
    const before = await planDigest();

    const digests: string[] = [];
    for (let i = 0; i < 2; i++) {
      const built = await runKiln(['build', dir, '-q', '--json'], { env });
      assert.equal(built.code, 0, built.stderr);
      digests.push((JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest);
    }
    assert.equal(digests[1], digests[0], 'the second build sees the first one\'s outputs and leaves them out');
    assert.equal(await planDigest(), before);

    // `kiln report` run in the project writes kiln-report.html into the app folder: it stays out too.
    const report = await runKiln(['report'], { env, cwd: dir });
    assert.equal(report.code, 0, report.stderr);
    const rebuilt = await runKiln(['build', dir, '-q', '--json'], { env });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.equal((JSON.parse(rebuilt.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest, digests[0]);

    const image = await readOciLayout(join(dir, 'out/demo'), 'latest');
    const [app] = await image.layers();
    assert.deepEqual([...(await readLayerTree(app!)).keys()].sort(), ['app', 'app/.dockerignore', 'app/kiln.yaml', 'app/run']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
