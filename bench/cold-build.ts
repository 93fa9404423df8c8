// bench/cold-build.ts: cold builds with the .debs already downloaded (as after a first build or a pull), for
// the model-server base (python3 + python3-sklearn, distroless) and hello-python, at each thread count given.
// Each build is a fresh `kiln build` process with kiln's memo records removed first (the .debs are blobs too); prints
// wall time, CPU time (user + system, all threads) and peak RSS (from /usr/bin/time). Asserts nothing. It runs the
// bundled CLI as installed (bin/kiln.js; `npm run build` first).
//   node --import tsx bench/cold-build.ts [threads...]      (default: 1 2 and the machine's cores)
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cores = availableParallelism();
const threads = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [...new Set([1, 2, cores])];

interface Sample { seconds: number; cpuSeconds: number; peakRssMb: number }

function timeBuild(project: string, cache: string, out: string, env: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', process.execPath, join(root, 'bin/kiln.js'), 'build', project, '-q', '-o', `oci:${out}`], {
      cwd: root, env: { ...process.env, ...env, KILN_CACHE_DIR: cache }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`kiln build failed: ${stderr}`));
      const [kib, user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
      resolve({ seconds, cpuSeconds: user! + system!, peakRssMb: kib! / 1024 });
    });
  });
}

const MODEL_SERVER = `images:
  model-server:
    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3, python3-sklearn]}
    app: {src: app, dest: /app}
    entrypoint: [python3, /app/server.py]
`;

const work = process.env.KILN_BENCH_DIR ?? await mkdtemp(join(tmpdir(), 'kiln-bench-cold-'));
try {
  const projects: Array<[string, string]> = [];
  const model = join(work, 'model-server');
  await mkdir(join(model, 'app'), { recursive: true });
  await writeFile(join(model, 'kiln.yaml'), MODEL_SERVER);
  await writeFile(join(model, 'app/server.py'), 'print("serving")\n');
  projects.push(['model-server (python3-sklearn)', model]);
  const hello = join(work, 'hello');
  await cp(join(root, 'examples/hello-python'), hello, { recursive: true, filter: (src) => !/\/out$/.test(src) });
  projects.push(['hello-python', hello]);
  const cache = join(work, 'cache');
  // Warm-up: resolves the locks and downloads the .debs once; every timed build reuses them.
  for (const [, project] of projects) await timeBuild(project, cache, join(work, 'out-warmup'), {});
  console.log(`cold builds, .debs cached, ${cores} cores available; wall time, CPU time and peak RSS of the kiln process:`);
  for (const [name, project] of projects) {
    for (const n of threads) {
      await rm(join(cache, 'memo'), { recursive: true, force: true });
      await rm(join(work, 'out'), { recursive: true, force: true });
      const sample = await timeBuild(project, cache, join(work, 'out'), { KILN_THREADS: String(n) });
      console.log(`  ${name.padEnd(32)} KILN_THREADS=${n}: ${sample.seconds.toFixed(2)} s wall, ${sample.cpuSeconds.toFixed(1)} s CPU, peak RSS ${sample.peakRssMb.toFixed(0)} MB`);
    }
  }
} finally {
  if (!process.env.KILN_BENCH_DIR) await rm(work, { recursive: true, force: true });
}
