import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeImage } from '../../places/index.js';
import { runKiln } from '../../testing/cli.js';
import { imageWithLayers, tempDir, tempStore } from '../../testing/images.js';

const MANIFEST = 'version: 1\nimages:\n  server:\n    base: oci:base\n    matrix: {accel: [cpu, gpu]}\n';

test('kiln inspect/why/diff DIR[/ENTRY]: several entries, an unknown entry or no recorded build is one line, exit 2', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'servers'));
  await writeFile(join(dir, 'servers/kiln.yaml'), MANIFEST);
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const several = await runKiln(['inspect', 'servers'], { cwd: dir, env });
  assert.deepEqual([several.code, several.stderr], [2, `kiln: ${dir}/servers/kiln.yaml has 2 entries (server/cpu, server/gpu): name one as servers/ENTRY\n`]);
  const unknown = await runKiln(['why', 'libc6', 'servers/server/tpu'], { cwd: dir, env });
  assert.deepEqual([unknown.code, unknown.stderr], [2, `kiln: ${dir}/servers/kiln.yaml has no entry "server/tpu" (server/cpu, server/gpu): name one as servers/ENTRY\n`]);
  const unbuilt = await runKiln(['diff', 'servers/server/cpu', 'servers/server/gpu'], { cwd: dir, env });
  assert.deepEqual([unbuilt.code, unbuilt.stderr], [2, `kiln: no build recorded for server/cpu of ${dir}/servers/kiln.yaml: run kiln build\n`]);
  const nowhere = await runKiln(['inspect', 'elsewhere'], { cwd: dir, env });
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /^kiln: elsewhere: not an image place \(oci:, docker-archive:, docker:\/\/\) and no kiln\.yaml at .*\n$/);
});

test('kiln inspect oci:PATH prints the config, layers and packages; --json the same as data; why needs a package', async () => {
  const dir = await tempDir();
  const store = await tempStore();
  const image = await imageWithLayers(store,
    { 'var/lib/dpkg/status.d/libc6': 'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\nInstalled-Size: 12000\n' },
    { 'app/server.py': 'print(1)\n' });
  await writeImage(`oci:${dir}/layout:v1`, image, { store });
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const text = await runKiln(['inspect', `oci:${dir}/layout:v1`], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^ {2}libc6 {2}2\.36-9 {2}12\.3 MB {2}layer 0$/m);
  assert.match(text.stdout, /^ {3}1 {2}[0-9a-f]{12} .* 1 files {2}test layer 1\n {6}\/app 9 B$/m);
  const json = JSON.parse((await runKiln(['inspect', `oci:${dir}/layout:v1`, '--json'], { env })).stdout) as { digest: string; debs: unknown[]; layers: Array<{ folders: unknown[] }> };
  assert.equal(json.digest, await image.digest());
  assert.deepEqual(json.debs, [{ name: 'libc6', version: '2.36-9', architecture: 'amd64', source: 'libc6', installedSize: 12000 * 1024, layer: 0 }]);
  assert.deepEqual(json.layers[1]!.folders, [{ path: '/app', size: 9, files: 1 }]);
  const none = await runKiln(['why'], { env });
  assert.deepEqual([none.code, none.stderr], [2, 'kiln: error: missing required argument \'PACKAGE\'\n']);
});
