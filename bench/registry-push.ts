// Push timings against a real local registry: first push, re-push, and a push after a one-line app change.
//   node --import tsx bench/registry-push.ts [MB of dependency layers, default 200] [chunk MiB, default 16]
// Bytes sent are counted twice: by kiln (PushResult.bytesSent) and by a counting proxy on the wire.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../src/cache/blob-store.js';
import { formatBytes } from '../src/cli/progress.js';
import { pushImage } from '../src/registry/push.js';
import { startFaultProxy } from '../src/testing/fault-proxy.js';
import { startRegistry } from '../src/testing/registry.js';
import { busyboxImage, pseudoRandom, withAppLayer } from '../src/testing/registry-images.js';

const megabytes = Number(process.argv[2] ?? 200);
const chunkMiB = Number(process.argv[3] ?? 16);
const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-push-'));
const registry = await startRegistry();
const proxy = await startFaultProxy(registry.host);
try {
  const store = new BlobStore(join(dir, 'cache'));
  const base = await busyboxImage(store, 'bench');
  // Dependencies: incompressible files in 4 layers, like a venv split by package group.
  let deps = base;
  for (let i = 0; i < 4; i++) {
    deps = await withAppLayer(store, deps, { [`venv/lib/part${i}.so`]: pseudoRandom(Math.round((megabytes * 1e6) / 4), `deps-${i}`) });
  }
  const app = (line: string) => withAppLayer(store, deps, { 'app/main.py': `import model\nprint(${JSON.stringify(line)})\n` });
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  const run = async (label: string, image: Awaited<ReturnType<typeof app>>): Promise<void> => {
    const wireBefore = proxy.uploadedBytes();
    const requestsBefore = proxy.requests.length;
    const start = performance.now();
    const [result] = await pushImage(image, [`${proxy.host}/bench/server:latest`], { store, chunkSize: chunkMiB << 20 });
    const ms = performance.now() - start;
    console.log(`${label.padEnd(22)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${formatBytes(result!.bytesSent).padStart(8)} sent (wire ${formatBytes(proxy.uploadedBytes() - wireBefore)})  ` +
      `${result!.uploaded} uploaded, ${result!.skipped} skipped, ${result!.mounted} mounted, ${proxy.requests.length - requestsBefore} requests`);
  };
  const total = (await (await app('v1')).manifest()).layers.reduce((sum, l) => sum + l.size, 0);
  console.log(`image: ${mb(total)} MB compressed in ${(await (await app('v1')).manifest()).layers.length} layers; chunk ${chunkMiB} MiB; registry ${registry.host} via counting proxy`);
  await run('first push', await app('v1'));
  await run('re-push (no change)', await app('v1'));
  await run('one-line app change', await app('v2'));
} finally {
  await proxy.close();
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
