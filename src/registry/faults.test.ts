import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { sha256 } from '../oci/digest.js';
import { startFaultProxy, type FaultProxy } from '../testing/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { busyboxImage, pseudoRandom, withAppLayer } from '../testing/registry-images.js';
import { RegistryClient } from './client.js';
import { pullImage } from './pull.js';
import { PushError, pushImage } from './push.js';
import { Transport } from './transport.js';

let registry: TestRegistry;
let proxy: FaultProxy;
const dirs: string[] = [];
// Quick backoff keeps the test short; the retry logic is the same.
const fast = { retries: 8, backoffMs: 5, maxBackoffMs: 40 };

async function freshStore(): Promise<BlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-faults-'));
  dirs.push(dir);
  return new BlobStore(dir);
}

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host, {}, 42);
});
after(async () => {
  await proxy?.close();
  await registry?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('push and pull complete through resets, 500s and 429s, and the pulled image is byte-identical', async () => {
  const store = await freshStore();
  const base = await busyboxImage(store, 'faulty');
  const image = await withAppLayer(store, base, { 'model.bin': pseudoRandom(400_000, 'faults') });
  proxy.setFaults({ reset: 0.1, status500: 0.1, status429: 0.1 });
  const [result] = await pushImage(image, [`${proxy.host}/kiln/faulty:1`, `${proxy.host}/kiln/faulty:2`], { ...fast, chunkSize: 64 * 1024 });
  const injected = proxy.requests.filter((r) => r.fault).length;
  assert.ok(injected >= 5, `faults were injected (${injected})`);
  assert.equal(result!.references.length, 2);
  assert.ok(proxy.requests.some((r) => r.method === 'PATCH' && r.fault), 'some chunk upload failed and was resumed');

  const pullStore = await freshStore();
  const pulled = await pullImage(`${proxy.host}/kiln/faulty:2`, { ...fast, store: pullStore });
  proxy.setFaults({});
  assert.ok((await pulled.image.rawManifest()).equals(await image.rawManifest()));
  for (const layer of await image.layers()) {
    const digest = await layer.digest();
    assert.ok((await pullStore.read(digest)).equals(await store.read(digest)), `layer ${digest} is byte-identical`);
  }
  assert.equal(sha256(await pulled.image.rawConfig()), (await image.manifest()).config.digest);
});

test('when the registry stays down the push fails saying so, and no tag is written', async () => {
  const store = await freshStore();
  const image = await withAppLayer(store, await busyboxImage(store), { 'down.txt': 'x' });
  // Let the first requests through so blobs start uploading, then the registry goes away.
  proxy.setFaults({ down: true });
  await assert.rejects(pushImage(image, [`${proxy.host}/kiln/down:1`], { retries: 3, backoffMs: 5, maxBackoffMs: 20 }), (error: Error) => {
    assert.ok(error instanceof PushError);
    assert.match(error.message, new RegExp(`^pushing to ${proxy.host}/kiln/down: .*GET http://${proxy.host}/v2/: connection reset after 4 attempts$`));
    assert.ok(!error.message.includes('\n'));
    return true;
  });
  proxy.setFaults({});
  const client = new RegistryClient(registry.host, new Transport());
  assert.equal(await client.headManifest('kiln/down', '1'), undefined, 'no tag points anywhere');
});

test('a registry that fails mid-push leaves no tag behind', async () => {
  const store = await freshStore();
  const image = await withAppLayer(store, await busyboxImage(store), { 'half.txt': pseudoRandom(200_000, 'half') });
  // Every chunk after the first dies: blobs cannot complete, so the manifest must never be sent.
  proxy.setFaults({});
  let patches = 0;
  const original = proxy.setFaults;
  await assert.rejects(pushImage(image, [`${proxy.host}/kiln/half:1`], {
    retries: 2, backoffMs: 5, maxBackoffMs: 10, chunkSize: 64 * 1024,
    onProgress: (e) => {
      if (e.action === 'upload' && !e.done && ++patches === 1) original({ status500: 1 });
    },
  }), PushError);
  proxy.setFaults({});
  assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/') && r.path.includes('kiln/half') && !r.fault).length, 0);
  const client = new RegistryClient(registry.host, new Transport());
  assert.equal(await client.headManifest('kiln/half', '1'), undefined);
});
