import { requireTool } from '../testing/docker.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { sha256 } from '../oci/digest.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { startFaultProxy } from '../testing/fault-proxy.js';
import { busyboxImage, pseudoRandom, withAppLayer } from '../testing/registry-images.js';
import { RegistryClient } from './client.js';
import { pushImage, type PushProgress } from './push.js';
import { Transport } from './transport.js';

const run = promisify(execFile);
let registry: TestRegistry;
let store: BlobStore;
let cacheDir: string;

before(async () => {
  registry = await startRegistry();
  cacheDir = await mkdtemp(join(tmpdir(), 'kiln-push-cache-'));
  store = new BlobStore(cacheDir);
});
after(async () => {
  await registry?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

test('push writes every tag, skopeo reads it back, and docker pulls and runs it', async (t) => {
  const image = await busyboxImage(store, 'pushed by kiln');
  const events: PushProgress[] = [];
  const ref = `${registry.host}/kiln/hello`;
  const [result] = await pushImage(image, [`${ref}:v1`, `${ref}:latest`], { store, onProgress: (e) => events.push(e) });
  const digest = await image.digest();
  assert.deepEqual(result, {
    repository: ref,
    references: [`${ref}:v1@${digest}`, `${ref}:latest@${digest}`],
    digest,
    uploaded: 2,
    skipped: 0,
    mounted: 0,
    bytesSent: result!.bytesSent,
  });
  const layerSize = (await image.manifest()).layers[0]!.size;
  assert.ok(result!.bytesSent >= layerSize, 'the layer bytes were sent');
  assert.ok(events.some((e) => e.action === 'upload' && e.done && e.sent === layerSize));

  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}:v1`]);
  assert.equal(sha256(Buffer.from(stdout)), digest, 'skopeo sees the exact manifest kiln pushed');
  const { stdout: inspect } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}:latest`]);
  assert.equal(JSON.parse(inspect).Digest, digest);

  if (!(await requireTool(t, 'docker'))) return;
  await run('docker', ['pull', `${ref}:v1`], { timeout: 120_000 });
  try {
    const { stdout: said } = await run('docker', ['run', '--rm', `${ref}:v1`], { timeout: 120_000 });
    assert.equal(said.trim(), 'pushed by kiln');
  } finally {
    await run('docker', ['rmi', '-f', `${ref}:v1`]).catch(() => undefined);
  }
});

test('a second push uploads nothing, and a sibling repository mounts the shared base', async () => {
  const proxy = await startFaultProxy(registry.host);
  try {
    const base = await busyboxImage(store, 'base');
    const first = await pushImage(base, [`${proxy.host}/kiln/base:1`], { store });
    assert.equal(first[0]!.uploaded, 2);
    const bytesFirst = proxy.uploadedBytes();

    const again = await pushImage(base, [`${proxy.host}/kiln/base:1`], { store });
    assert.deepEqual([again[0]!.uploaded, again[0]!.mounted, again[0]!.skipped, again[0]!.bytesSent], [0, 0, 2, 0]);
    assert.equal(proxy.uploadedBytes(), bytesFirst, 're-push sent no blob bytes');

    const app = await withAppLayer(store, base, { 'app/main.py': 'print("hi")\n' });
    const before = proxy.requests.length;
    const [sibling] = await pushImage(app, [`${proxy.host}/kiln/app:1`], { store });
    const mounts = proxy.requests.slice(before).filter((r) => r.path.includes('mount='));
    assert.equal(sibling!.mounted, 1, 'the busybox layer was mounted from kiln/base');
    assert.equal(mounts.length, 1);
    assert.equal(sibling!.uploaded, 2, 'the app layer and the new config were uploaded');
    const baseLayer = (await base.manifest()).layers[0]!;
    assert.ok(sibling!.bytesSent < baseLayer.size, 'the base layer bytes were not sent again');
    const client = new RegistryClient(registry.host, new Transport());
    assert.equal(await client.headBlob('kiln/app', baseLayer.digest), baseLayer.size);
  } finally {
    await proxy.close();
  }
});

test('large blobs go up in chunks no smaller than the registry minimum, and round-trip byte for byte', async () => {
  const base = await busyboxImage(store);
  const image = await withAppLayer(store, base, { 'model.bin': pseudoRandom(300_000, 'chunked') });
  const proxy = await startFaultProxy(registry.host);
  try {
    const [result] = await pushImage(image, [`${proxy.host}/kiln/chunked:1`], { chunkSize: 64 * 1024 });
    const patches = proxy.requests.filter((r) => r.method === 'PATCH');
    const big = (await image.manifest()).layers.reduce((max, l) => Math.max(max, l.size), 0);
    assert.ok(patches.length >= Math.ceil(big / 65536), `expected chunked PATCHes, saw ${patches.length}`);
    // Every chunk is full-size except the last of each chunked blob (busybox's layer and the model's).
    const short = patches.filter((p) => p.bytesIn !== 65536);
    assert.ok(short.length <= 2 && short.every((p) => p.bytesIn < 65536), JSON.stringify(patches.map((p) => p.bytesIn)));
    assert.equal(result!.uploaded, 3);
  } finally {
    await proxy.close();
  }
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/kiln/chunked:1`]);
  assert.equal(sha256(Buffer.from(stdout)), await image.digest());
});

test('one push goes to several registries at once', async () => {
  const second = await startRegistry();
  try {
    const image = await busyboxImage(store, 'twice');
    const results = await pushImage(image, [`${registry.host}/kiln/multi:a`, `${second.host}/other/multi:b`, `${second.host}/other/multi:c`], { store });
    assert.deepEqual(results.map((r) => r.references.length).sort(), [1, 2]);
    for (const ref of [`${registry.host}/kiln/multi:a`, `${second.host}/other/multi:c`]) {
      const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`]);
      assert.equal(sha256(Buffer.from(stdout)), await image.digest());
    }
  } finally {
    await second.stop();
  }
});
