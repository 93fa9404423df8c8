// Push and pull through a fault-injecting proxy: 20% of requests meet a reset before the answer, a reset
// halfway through the body, a 500 or a 429 (5% each). Every run must complete byte-identical.
//   node --import tsx bench/faults.ts [runs, default 20] [MB of layer data, default 2] [fault share, default 0.2]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../src/cache/blob-store.js';
import { sha256 } from '../src/oci/digest.js';
import { pullImage } from '../src/registry/pull.js';
import { pushImage } from '../src/registry/push.js';
import { startFaultProxy } from '../src/testing/fault-proxy.js';
import { startRegistry } from '../src/testing/registry.js';
import { busyboxImage, pseudoRandom, withAppLayer } from '../src/testing/registry-images.js';

const runs = Number(process.argv[2] ?? 20);
const megabytes = Number(process.argv[3] ?? 2);
const share = Number(process.argv[4] ?? 0.2);
const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-faults-'));
const registry = await startRegistry();
const proxy = await startFaultProxy(registry.host, {}, 7);
// Quick backoff: the figures are about completion and request counts, not about waiting politely.
const retry = { retries: 8, backoffMs: 20, maxBackoffMs: 500 };
let completed = 0;
let identical = 0;
const times: number[] = [];
const faults = { reset: 0, 'reset-body': 0, '500': 0, '429': 0 } as Record<string, number>;
let requests = 0;
try {
  const store = new BlobStore(join(dir, 'cache'));
  const image = await withAppLayer(store, await busyboxImage(store, 'bench-faults'), { 'model.bin': pseudoRandom(megabytes * 1e6, 'bench-faults') });
  const layers = await image.layers();
  const each = share / 4;
  for (let run = 0; run < runs; run++) {
    const seen = proxy.requests.length;
    proxy.setFaults({ reset: each, resetBody: each, status500: each, status429: each });
    const start = performance.now();
    try {
      const ref = `${proxy.host}/bench/faults-${run}-${Date.now()}:v1`;
      await pushImage(image, [ref], { ...retry, chunkSize: 256 * 1024 });
      const pullStore = new BlobStore(join(dir, `pull-${run}`));
      const pulled = await pullImage(ref, { ...retry, store: pullStore });
      completed++;
      let same = pulled.imageDigest === sha256(await image.rawManifest());
      for (const layer of layers) {
        const digest = await layer.digest();
        same &&= (await pullStore.read(digest)).equals(await store.read(digest));
      }
      if (same) identical++;
    } catch (error) {
      console.log(`run ${run + 1}: ${(error as Error).message}`);
    } finally {
      proxy.setFaults({});
    }
    times.push(performance.now() - start);
    for (const r of proxy.requests.slice(seen)) if (r.fault) faults[r.fault] = (faults[r.fault] ?? 0) + 1;
    requests += proxy.requests.length - seen;
  }
  times.sort((a, b) => a - b);
  const injected = Object.values(faults).reduce((a, b) => a + b, 0);
  console.log(`${runs} runs of push + pull, ${megabytes} MB layer, ${(share * 100).toFixed(0)}% faults`);
  console.log(`completed ${completed}/${runs}, byte-identical ${identical}/${runs}`);
  console.log(`requests ${requests}, faults injected ${injected} (${Object.entries(faults).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`time per run: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(2)} s, max ${(times.at(-1)! / 1000).toFixed(2)} s`);
} finally {
  await proxy.close();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
