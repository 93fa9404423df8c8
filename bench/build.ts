// bench/build.ts: cold build time, rebuild time after a one-line app change, and peak RSS for the
// hello-python example, each in a fresh `kiln build` process. Prints figures; asserts nothing.
//   node --import tsx bench/build.ts [runs]
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 3);

interface Sample { seconds: number; peakRssMb: number }

function timeBuild(project: string, cache: string, out: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // /usr/bin/time -f reports the child's peak RSS (max resident set size, KiB).
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'build', project, '-q', '-o', `oci:${out}`], {
      cwd: root, env: { ...process.env, KILN_CACHE_DIR: cache }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`kiln build failed: ${stderr}`));
      const kib = Number(stderr.trim().split('\n').at(-1));
      resolve({ seconds, peakRssMb: kib / 1024 });
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
try {
  const project = join(work, 'hello');
  await cp(join(root, 'examples/hello-python'), project, { recursive: true, filter: (src) => !/\/out$/.test(src) });
  // Resolve once so every timed build reads the same lock (resolution is measured by bench/debian-resolve.ts).
  await timeBuild(project, join(work, 'warmup-cache'), join(work, 'warmup-out'));
  const cold: Sample[] = [];
  const rebuild: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const cache = join(work, `cache-${i}`);
    cold.push(await timeBuild(project, cache, join(work, `out-${i}`)));
    const server = join(project, 'server.py');
    await writeFile(server, `${await readFile(server, 'utf8')}# change ${i}\n`);
    rebuild.push(await timeBuild(project, cache, join(work, `out-${i}`)));
  }
  console.log(`hello-python, ${runs} runs each (median):`);
  console.log(`  cold build (empty cache, lock present): ${median(cold.map((s) => s.seconds)).toFixed(2)} s, peak RSS ${median(cold.map((s) => s.peakRssMb)).toFixed(0)} MB`);
  console.log(`  rebuild after a one-line app change:    ${median(rebuild.map((s) => s.seconds)).toFixed(2)} s, peak RSS ${median(rebuild.map((s) => s.peakRssMb)).toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}
