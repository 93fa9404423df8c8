// bench/matrix.ts: wall time of `kiln build` over the 8-entry matrix (2 servers x 2 Pythons x 2 variants),
// natively (cold cache with the lock present, --jobs 1 and 2; then warm) and with --backend docker when
// Docker answers. Prints figures; asserts nothing.
//   node --import tsx bench/matrix.ts
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMatrixProject } from '../src/testing/matrix-project.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function kiln(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`kiln ${args.join(' ')}: ${stderr.slice(-2000)}`))));
  });
}

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-matrix-'));
try {
  const project = await writeMatrixProject(join(work, 'project'));
  // Resolve both releases once, so timed builds read kiln.lock (resolution: bench/debian-resolve.ts).
  await kiln(['lock', project], { KILN_CACHE_DIR: join(work, 'warmup') });
  const rows: Array<[string, number]> = [];
  for (const jobs of [1, 2]) {
    const cache = join(work, `cache-${jobs}`);
    rows.push([`native, cold cache, --jobs ${jobs}`, await kiln(['build', project, '-q', '--jobs', String(jobs), '-o', `oci:${work}/out-${jobs}`], { KILN_CACHE_DIR: cache })]);
  }
  rows.push(['native, warm cache, --jobs 2', await kiln(['build', project, '-q', '-o', `oci:${work}/out-warm`], { KILN_CACHE_DIR: join(work, 'cache-2') })]);
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
    try {
      rows.push(['docker backend, --jobs 2', await kiln(['build', project, '-q', '--backend', 'docker', '-o', `oci:${work}/out-docker/{name}`], { KILN_CACHE_DIR: join(work, 'cache-2'), KILN_GENERATED_DIR: join(work, 'generated') })]);
    } catch (error) {
      console.log(`docker backend: failed (${(error as Error).message.split('\n').at(-2) ?? error})`);
    }
  } else console.log('docker backend: skipped (docker info does not answer)');
  console.log('8-entry matrix (2 servers x python 3.11/bookworm, 3.13/trixie x cpu/gpu), wall time of one kiln build:');
  for (const [what, seconds] of rows) console.log(`  ${what.padEnd(34)} ${seconds.toFixed(1)} s`);
} finally {
  await rm(work, { recursive: true, force: true });
}
