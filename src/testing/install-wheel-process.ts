// Test helper run as a child process: installs one wheel the way a build does (TarDestination, then a
// gzip layer in a throwaway blob store) and prints its own peak RSS, so tests can bound memory use.
// Usage: node --import tsx src/testing/install-wheel-process.ts <wheel> <store-dir>
import { readFile } from 'node:fs/promises';
import { BlobStore } from '../cache/blob-store.js';
import { KilnError } from '../errors.js';
import { buildLayer } from '../layer/build.js';
import { installWheel } from '../python/wheel/install.js';
import { WheelSource } from '../python/wheel/source.js';
import { TarDestination } from '../python/wheel/tar-destination.js';

const [wheel, storeDir] = process.argv.slice(2);
try {
  const source = await WheelSource.open(wheel!);
  try {
    const destination = new TarDestination(source.name);
    await installWheel(source, destination, { pythonVersion: '3.11' });
    const built = await buildLayer(destination.entries, { store: new BlobStore(storeDir!), epoch: 0 });
    process.stdout.write(`${JSON.stringify({ maxRssBytes: await peakRss(), uncompressedSize: built.uncompressedSize })}\n`);
  } finally {
    await source.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof KilnError ? error.oneLine() : String(error)}\n`);
  process.exitCode = 1;
}

// VmHWM is this process image's own peak; getrusage's maxRSS would also count the parent's memory,
// which Linux carries over through fork and exec.
async function peakRss(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error('no VmHWM in /proc/self/status');
  return Number(kb) * 1024;
}
