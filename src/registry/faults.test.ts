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

test('a reset in the middle of a manifest is retried, and the pull completes byte-identical', async () => {
  const store = await freshStore();
  const image = await withAppLayer(store, await busyboxImage(store, 'midbody'), { 'weights.bin': pseudoRandom(300_000, 'midbody') });
  await pushImage(image, [`${registry.host}/kiln/midbody:1`], {});
  const seen = proxy.requests.length;
  proxy.setFaults({ cutNext: 2, only: /\/manifests\// });
  try {
    const pullStore = await freshStore();
    const pulled = await pullImage(`${proxy.host}/kiln/midbody:1`, { ...fast, store: pullStore });
    const cut = proxy.requests.slice(seen).filter((r) => r.fault === 'reset-body');
    assert.deepEqual(cut.map((r) => r.path), ['/v2/kiln/midbody/manifests/1', '/v2/kiln/midbody/manifests/1'], 'the manifest was cut mid-body twice');
    assert.ok((await pulled.image.rawManifest()).equals(await image.rawManifest()));
    for (const layer of await image.layers()) {
      const digest = await layer.digest();
      assert.ok((await pullStore.read(digest)).equals(await store.read(digest)));
    }
  } finally {
    proxy.setFaults({});
  }
});

test('a manifest cut mid-body on every attempt fails in one line naming the URL', async () => {
  const store = await freshStore();
  const image = await withAppLayer(store, await busyboxImage(store, 'cut'), { 'cut.txt': 'x' });
  await pushImage(image, [`${registry.host}/kiln/cut:1`], {});
  proxy.setFaults({ resetBody: 1, only: /\/manifests\// });
  try {
    await assert.rejects(pullImage(`${proxy.host}/kiln/cut:1`, { retries: 2, backoffMs: 5, store: await freshStore() }), (error: Error) => {
      assert.equal(error.message, `fetching manifest: GET http://${proxy.host}/v2/kiln/cut/manifests/1: connection reset after 3 attempts`);
      return true;
    });
  } finally {
    proxy.setFaults({});
  }
});

// 20% of requests meet a fault: resets before the answer, resets mid-body, 500s and 429s in equal shares.
const RUNS = Number(process.env.KILN_FAULT_RUNS ?? 8);

test(`push and pull at 20% faults complete ${RUNS} times out of ${RUNS}, byte-identical`, { timeout: 300_000 }, async (t) => {
  const store = await freshStore();
  const image = await withAppLayer(store, await busyboxImage(store, 'twenty'), { 'model.bin': pseudoRandom(300_000, 'twenty') });
  const layers = await image.layers();
  let injected = 0;
  for (let run = 0; run < RUNS; run++) {
    const seen = proxy.requests.length;
    proxy.setFaults({ reset: 0.05, resetBody: 0.05, status500: 0.05, status429: 0.05 });
    try {
      // A fresh repository per run, so every blob is uploaded again rather than found.
      const ref = `${proxy.host}/kiln/twenty-${run}-${Date.now()}:v1`;
      const [result] = await pushImage(image, [ref], { ...fast, chunkSize: 64 * 1024 });
      assert.equal(result!.references.length, 1);
      const pullStore = await freshStore();
      const pulled = await pullImage(ref, { ...fast, store: pullStore });
      assert.equal(pulled.imageDigest, sha256(await image.rawManifest()));
      for (const layer of layers) {
        const digest = await layer.digest();
        assert.ok((await pullStore.read(digest)).equals(await store.read(digest)), `run ${run}: layer ${digest} is byte-identical`);
      }
    } finally {
      proxy.setFaults({});
    }
    injected += proxy.requests.slice(seen).filter((r) => r.fault).length;
  }
  t.diagnostic(`${RUNS} runs, ${injected} faults injected`);
  assert.ok(injected >= RUNS, `faults were injected (${injected})`);
});
