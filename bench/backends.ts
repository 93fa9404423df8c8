// bench/backends.ts: wall time of `kiln build` natively vs with --backend docker, for hello-python and the
// poetry fixture project: cold (empty kiln cache, BuildKit cache pruned, no kiln base in docker) and after a
// one-line code change. Prints figures; asserts nothing. Needs Docker Engine with BuildKit (KILN_DOCKER picks
// the client). Note: the cold docker runs prune the daemon's whole BuildKit cache.
//   node --import tsx bench/backends.ts [runs]
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { copyPythonProject } from '../src/testing/python-project.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 2);
const docker = process.env.KILN_DOCKER ?? 'docker';

function timeBuild(project: string, backend: string, env: NodeJS.ProcessEnv, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'build', project, '-q', '--backend', backend, '-o', `docker-archive:${out}:kiln-bench/${backend}:latest`], {
      cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`kiln build --backend ${backend} failed: ${stderr}`))));
  });
}

async function coldDocker(): Promise<void> {
  const bases = (await exec(docker, ['images', '--format', '{{.Repository}}:{{.Tag}}', 'kiln-base/*'])).stdout.split('\n').filter(Boolean);
  if (bases.length) await exec(docker, ['rmi', '-f', ...bases]);
  await exec(docker, ['builder', 'prune', '-af']);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function project(work: string, name: string): Promise<{ dir: string; edit: string }> {
  const dir = join(work, name);
  if (name === 'hello-python') {
    await mkdir(dir);
    for (const file of ['kiln.yaml', 'kiln.lock', 'server.py']) await cp(join(root, 'examples/hello-python', file), join(dir, file)).catch(() => undefined);
    return { dir, edit: join(dir, 'server.py') };
  }
  await copyPythonProject(dir);
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  demo:\n    base: {distro: debian, release: bookworm, packages: [python3, python3-pip], variant: slim}\n    app: {src: app, dest: /app}\n    entrypoint: [demo-server]\n    python: {project: demo-server, find_links: [wheels]}\n');
  return { dir, edit: join(dir, 'demo-server/demo_server/main.py') };
}

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-backends-'));
try {
  for (const name of ['hello-python', 'python-project']) {
    const { dir, edit } = await project(work, name);
    // Resolve kiln.lock once so every timed build reads the same lock.
    await timeBuild(dir, 'native', { KILN_CACHE_DIR: join(work, 'warm'), KILN_GENERATED_DIR: join(work, 'gen') }, join(work, 'warm.tar'));
    const figures: Record<string, { cold: number[]; edit: number[] }> = { native: { cold: [], edit: [] }, docker: { cold: [], edit: [] } };
    for (let i = 0; i < runs; i++) {
      for (const backend of ['native', 'docker']) {
        const env = { KILN_CACHE_DIR: join(work, `cache-${name}-${backend}-${i}`), KILN_GENERATED_DIR: join(work, `gen-${i}`) };
        if (backend === 'docker') await coldDocker();
        figures[backend]!.cold.push(await timeBuild(dir, backend, env, join(work, `${backend}.tar`)));
        await writeFile(edit, `${await readFile(edit, 'utf8')}# change ${backend} ${i}\n`);
        figures[backend]!.edit.push(await timeBuild(dir, backend, env, join(work, `${backend}.tar`)));
      }
    }
    console.log(`${name}, ${runs} runs each (median wall time, seconds, including writing a docker-archive):`);
    for (const backend of ['native', 'docker']) {
      console.log(`  ${backend.padEnd(7)} cold ${median(figures[backend]!.cold).toFixed(2).padStart(6)}   after a one-line code change ${median(figures[backend]!.edit).toFixed(2).padStart(6)}`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
