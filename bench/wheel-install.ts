// Benchmark: kiln's native wheel install versus `pip install --no-deps` (and `python -m installer`) of
// the same >= 100 MB of wheels. Run: node --import tsx bench/wheel-install.ts
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryDestination } from '../src/python/wheel/directory-destination.js';
import { installWheel } from '../src/python/wheel/install.js';
import { WheelSource } from '../src/python/wheel/source.js';
import { TarDestination } from '../src/python/wheel/tar-destination.js';
import { makeBenchWheels } from './make-bench-wheels.js';

const work = process.env.KILN_BENCH_DIR ?? (await mkdtemp(join(tmpdir(), 'kiln-bench-wheels-')));
const { wheels, bytes } = await makeBenchWheels(join(work, 'wheels'));
console.log(`${wheels.length} wheels, ${(bytes / 1048576).toFixed(1)} MB of content`);

async function time(label: string, fn: () => Promise<void> | void): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  console.log(`${label.padEnd(42)} ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(2)} s`);
}

await time('kiln installWheel -> directory', async () => {
  const destination = new DirectoryDestination(join(work, 'kiln'));
  for (const wheel of wheels) {
    const source = await WheelSource.open(wheel);
    await installWheel(source, destination, { pythonVersion: '3.11' });
    await source.close();
  }
});
await time('kiln installWheel -> tar entries (no layer)', async () => {
  const destination = new TarDestination();
  for (const wheel of wheels) {
    const source = await WheelSource.open(wheel);
    await installWheel(source, destination, { pythonVersion: '3.11' });
    await source.close();
  }
});
const pip = join('/usr/share/python-wheels', readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-'))!, 'pip');
await time('pip install --no-deps --no-compile --target', () => {
  execFileSync('/usr/bin/python3', [pip, 'install', '--quiet', '--no-deps', '--no-index', '--no-compile', '--disable-pip-version-check', '--target', join(work, 'pip'), ...wheels]);
});
await time('python -m installer --no-compile-bytecode', () => {
  for (const wheel of wheels) execFileSync('/usr/bin/python3', ['-m', 'installer', '--no-compile-bytecode', '--destdir', join(work, 'installer'), '--prefix', '/opt/venv', wheel]);
});
if (!process.env.KILN_BENCH_DIR) await rm(work, { recursive: true, force: true });
