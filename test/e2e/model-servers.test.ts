// Issue 7 acceptance: the example KServe-style servers (examples/model-servers: a shared serving package and two
// servers depending on it by path) built from the example's kiln.yaml, natively and with the docker backend, run
// under Docker Engine as the non-root user on a read-only root filesystem and answer ready, V1 predict and V2
// infer with exactly the predictions the same trained models give on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';
import {
  buildkitClient, copyModelServers, expectedPredictions, irisRows, postJson, serveImage, SERVER_KINDS, trainModels, waitReady, type ServerKind,
} from '../../src/testing/model-servers.js';

const ENTRIES = SERVER_KINDS.map((kind) => `${kind}-server/cpu`);
// Tags are per run: helpers sharing one Docker daemon must not load or remove each other's images.
const RUN = randomBytes(3).toString('hex');

interface BuildJson {
  images: Array<{ name: string; digest: string; layers: Array<{ holds: string }> }>;
}

async function checkServer(dir: string, kind: ServerKind, image: string): Promise<void> {
  const server = await serveImage(image);
  try {
    await waitReady(server);
    const live = await fetch(`${server.url}/v2/health/live`, { signal: AbortSignal.timeout(10_000) });
    assert.deepEqual([live.status, await live.json()], [200, { live: true }], `${image}: live`);

    const rows = await irisRows(dir);
    const expected = await expectedPredictions(dir, kind, rows);
    assert.equal(new Set(expected).size, 3, 'the trained model tells the three species apart');
    const v1 = await postJson(`${server.url}/v1/models/iris:predict`, { instances: rows });
    assert.deepEqual(v1, { status: 200, body: { predictions: expected } }, `${image}: V1 predict`);
    const v2 = await postJson(`${server.url}/v2/models/iris/infer`, {
      id: 'e2e', inputs: [{ name: 'input-0', shape: [rows.length, 4], datatype: 'FP32', data: rows.flat() }],
    });
    assert.deepEqual(v2, {
      status: 200,
      body: { model_name: 'iris', id: 'e2e', outputs: [{ name: 'output-0', shape: [rows.length], datatype: 'INT64', data: expected }] },
    }, `${image}: V2 infer`);
    const missing = await postJson(`${server.url}/v1/models/nope:predict`, { instances: rows });
    assert.equal(missing.status, 404);

    // The server runs as nonroot, on a read-only root, with the shared package installed (not an editable pointer).
    const probe = 'import os, model_common; print(os.getuid(), model_common.__file__); open("/tmp/ok", "w"); open("/opt/venv/x", "w")';
    const result = await sh('docker', ['exec', server.id, 'python3', '-c', probe]).catch((error: Error) => error.message);
    assert.match(result, /Read-only file system: '\/opt\/venv\/x'/, `${image}: root is read-only, /tmp is not`);
    const [uid, file] = (await sh('docker', ['exec', server.id, 'python3', '-c', 'import os, model_common; print(os.getuid(), model_common.__file__)'])).trim().split(' ');
    assert.equal(uid, '65532', `${image}: runs as nonroot`);
    assert.equal(file, '/opt/venv/lib/python3.11/site-packages/model_common/__init__.py');
  } finally {
    await server.stop();
  }
}

test('the example model servers, built natively and with the docker backend, serve the trained models', { timeout: 900_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir('kiln-model-servers-');
  const dir = await copyModelServers(join(work, 'example'));
  await trainModels(dir);
  // The shared cache: cuda and inspect build these Debian bases from the same .debs.
  const env = { KILN_CACHE_DIR: sharedCacheDir(), KILN_DOCKER: await buildkitClient() };
  const only = ENTRIES.flatMap((entry) => ['--only', entry]);
  const tags: string[] = [];
  try {
    const native = await runKiln(['build', dir, ...only, '-o', `docker-archive:${work}/{name}.tar:kiln-e2e/{name}:native-${RUN}`, '--json'], { env });
    assert.equal(native.code, 0, native.stderr);
    const report = JSON.parse(native.stdout) as BuildJson;
    assert.deepEqual(report.images.map((image) => image.name).sort(), [...ENTRIES].sort());
    for (const image of report.images) {
      // Python layers from each server's poetry.lock: the shared package by path, then the server itself.
      assert.deepEqual(image.layers.slice(-3).map((layer) => layer.holds), ['python path dependencies', 'python project', 'app']);
    }
    for (const kind of SERVER_KINDS) {
      await sh('docker', ['load', '-i', join(work, `${kind}-server-cpu.tar`)]);
      tags.push(`kiln-e2e/${kind}-server-cpu:native-${RUN}`);
    }

    const docker = await runKiln(['build', dir, ...only, '--backend', 'docker', '-o', `docker-archive:${work}/{name}-docker.tar:kiln-e2e/{name}:docker-${RUN}`, '--json'], { env });
    assert.equal(docker.code, 0, docker.stderr);
    tags.push(...SERVER_KINDS.map((kind) => `kiln-e2e/${kind}-server-cpu:docker-${RUN}`));

    for (const kind of SERVER_KINDS) {
      await checkServer(dir, kind, `kiln-e2e/${kind}-server-cpu:native-${RUN}`);
      await checkServer(dir, kind, `kiln-e2e/${kind}-server-cpu:docker-${RUN}`);
    }
  } finally {
    for (const tag of tags) await sh('docker', ['rmi', tag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
