// Issue 16, CUDA: the model-server example's CUDA entry is the CPU server plus one layer of CUDA 11.8 runtime
// libraries from Debian bookworm's non-free component. Without a GPU, Python in it loads libcudart with ctypes and
// cudaGetDeviceCount answers "no driver" (or "no device"), not a loader error, and the server still predicts.
// A base shaped like nvcr.io/nvidia/cuda:*-runtime-* (a few layers, CUDA env in the config) works through docker://.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { CUDA_NO_DEVICE, CUDA_NO_DRIVER, probeCuda } from '../../src/testing/cuda.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';
import { copyModelServers, expectedPredictions, irisRows, postJson, serveImage, trainModels, waitReady } from '../../src/testing/model-servers.js';

interface BuildJson {
  images: Array<{ name: string; digest: string; layers: Array<{ digest: string; holds: string }> }>;
}

interface DockerConfig {
  Config: { Env: string[] };
  RootFS: { Layers: string[] };
}

async function inspect(image: string): Promise<DockerConfig> {
  return (JSON.parse(await sh('docker', ['image', 'inspect', image])) as DockerConfig[])[0]!;
}

test('the CUDA model server: CPU layers plus a CUDA layer from Debian non-free; libcudart loads without a GPU; it predicts', { timeout: 1_200_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir('kiln-cuda-');
  const dir = await copyModelServers(join(work, 'example'));
  await trainModels(dir);
  // The shared cache: model-servers and inspect build the sklearn base from the same .debs into the same layers.
  const env = { KILN_CACHE_DIR: process.env.KILN_TEST_CUDA_CACHE || sharedCacheDir() };
  const tags: string[] = [];
  // Per-run tags: helpers sharing one Docker daemon must not remove each other's images.
  const run = `cuda-${randomBytes(3).toString('hex')}`;
  try {
    const built = await runKiln(['build', dir, '--only', 'sklearn-server/cpu', '--only', 'sklearn-server/cuda',
      '-o', `docker-archive:${work}/{name}.tar:kiln-e2e/{name}:${run}`, '--json'], { env });
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(built.stdout) as BuildJson;
    const cpu = report.images.find((image) => image.name === 'sklearn-server/cpu')!;
    const cuda = report.images.find((image) => image.name === 'sklearn-server/cuda')!;
    // Every CPU layer is in the CUDA image; the one extra layer holds the CUDA packages.
    const cudaDigests = new Set(cuda.layers.map((layer) => layer.digest));
    for (const layer of cpu.layers) assert.ok(cudaDigests.has(layer.digest), `CPU layer ${layer.holds} (${layer.digest}) is in the CUDA image`);
    const extra = cuda.layers.filter((layer) => !cpu.layers.some((other) => other.digest === layer.digest));
    assert.equal(extra.length, 1, `one CUDA layer: ${JSON.stringify(extra)}`);

    // The lock names the components and which packages are stacked in the cuda layer.
    const lock = await readFile(join(dir, 'kiln.lock'), 'utf8');
    assert.match(lock, /\[bases\."sklearn-server\/cuda"\][^[]*components = \[ "main", "non-free" \]/);
    for (const name of ['libcudart11.0', 'libcublas11', 'libcublaslt11']) {
      const entry = new RegExp(`name = "${name.replace('.', '\\.')}"\\nversion = "[^"]+~11\\.8\\.0-[^"]+"\\n(.*\\n){5,6}layer = "cuda"\\n`);
      assert.ok(entry.test(lock), `${name} is locked in the cuda layer`);
    }

    for (const name of ['sklearn-server-cpu', 'sklearn-server-cuda']) {
      await sh('docker', ['load', '-i', join(work, `${name}.tar`)]);
      tags.push(`kiln-e2e/${name}:${run}`);
    }
    const [cpuTag, cudaTag] = tags as [string, string];
    const config = await inspect(cudaTag);
    assert.ok(config.Config.Env.includes('NVIDIA_VISIBLE_DEVICES=all'));
    assert.ok(config.Config.Env.includes('NVIDIA_DRIVER_CAPABILITIES=compute,utility'));
    assert.ok(!config.Config.Env.some((entry) => entry.startsWith('LD_LIBRARY_PATH=')), 'libraries are on the default path');
    const cpuLayers = (await inspect(cpuTag)).RootFS.Layers;
    assert.deepEqual(cpuLayers.filter((diffId) => !config.RootFS.Layers.includes(diffId)), [], 'Docker sees every CPU layer in the CUDA image');

    // No GPU here: the runtime loads and reports no driver or no device; the CPU image has no runtime at all.
    const probe = await probeCuda(cudaTag);
    assert.ok('code' in probe && [CUDA_NO_DRIVER, CUDA_NO_DEVICE].includes(probe.code), `cudaGetDeviceCount: ${JSON.stringify(probe)}`);
    const none = await probeCuda(cpuTag);
    assert.ok('load' in none && /libcudart\.so\.11\.0/.test(none.load), `CPU image: ${JSON.stringify(none)}`);
    const cublas = await sh('docker', ['run', '--rm', '--entrypoint', 'python3', cudaTag, '-c',
      'import ctypes; ctypes.CDLL("libcublas.so.11"); ctypes.CDLL("libcublasLt.so.11"); print("ok")']);
    assert.equal(cublas.trim(), 'ok');

    const server = await serveImage(cudaTag);
    try {
      await waitReady(server);
      const rows = await irisRows(dir);
      const expected = await expectedPredictions(dir, 'sklearn', rows);
      assert.deepEqual(await postJson(`${server.url}/v1/models/iris:predict`, { instances: rows }), { status: 200, body: { predictions: expected } });
    } finally {
      await server.stop();
    }
  } finally {
    for (const tag of tags) await sh('docker', ['rmi', tag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});

test('a registry base shaped like nvcr.io/nvidia/cuda:*-runtime-* keeps working through docker://', { timeout: 600_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const registry = process.env.KILN_TEST_REGISTRY ?? '127.0.0.1:5000';
  const work = await tempDir('kiln-cuda-base-');
  const tag = `11.8.0-runtime-debian12-${randomBytes(4).toString('hex')}`;
  const base = `${registry}/nvidia/cuda:${tag}`;
  const app = `${registry}/kiln-e2e/cuda-app:${tag}`;
  const env = { KILN_CACHE_DIR: sharedCacheDir() };
  try {
    // The base: a few layers (Debian core, Python, the CUDA runtime) and NVIDIA's env, as NVIDIA's runtime images have.
    await mkdir(join(work, 'base'));
    await writeFile(join(work, 'base/kiln.yaml'), [
      'images:',
      '  cuda-runtime:',
      '    base:',
      '      distro: debian',
      '      release: bookworm',
      '      components: [main, non-free]',
      '      packages: [python3]',
      '      layers: {cuda: [libcudart11.0]}',
      '    env: {CUDA_VERSION: 11.8.0, NVIDIA_VISIBLE_DEVICES: all, NVIDIA_DRIVER_CAPABILITIES: "compute,utility", NVIDIA_REQUIRE_CUDA: "cuda>=11.8"}',
      '    entrypoint: [python3]',
      '',
    ].join('\n'));
    const pushed = await runKiln(['build', join(work, 'base'), '-o', `docker://${base}`, '--json'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const baseLayers = (JSON.parse(pushed.stdout) as BuildJson).images[0]!.layers.map((layer) => layer.digest);

    await mkdir(join(work, 'app/src'), { recursive: true });
    await writeFile(join(work, 'app/src/main.py'), 'import ctypes\nctypes.CDLL("libcudart.so.11.0")\nprint("cudart loaded")\n');
    await writeFile(join(work, 'app/kiln.yaml'), [
      'images:',
      '  cuda-app:',
      `    base: docker://${base}`,
      '    app: {src: src, dest: /app}',
      '    entrypoint: [python3, /app/main.py]',
      '',
    ].join('\n'));
    const built = await runKiln(['build', join(work, 'app'), '-o', `docker://${app}`, '--json'], { env });
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, new RegExp(`cuda-app: base pinned as ${base.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}`));
    const layers = (JSON.parse(built.stdout) as BuildJson).images[0]!.layers.map((layer) => layer.digest);
    assert.deepEqual(layers.slice(0, baseLayers.length), baseLayers, 'the base layers, unchanged, then the app');
    assert.equal(layers.length, baseLayers.length + 1);

    await sh('docker', ['pull', app]);
    try {
      const config = await inspect(app);
      for (const entry of ['CUDA_VERSION=11.8.0', 'NVIDIA_VISIBLE_DEVICES=all', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility']) {
        assert.ok(config.Config.Env.includes(entry), `${entry} inherited from the base`);
      }
      assert.equal((await sh('docker', ['run', '--rm', app])).trim(), 'cudart loaded');
      const probe = await probeCuda(app);
      assert.ok('code' in probe && [CUDA_NO_DRIVER, CUDA_NO_DEVICE].includes(probe.code), JSON.stringify(probe));
    } finally {
      await sh('docker', ['rmi', app]).catch(() => undefined);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
