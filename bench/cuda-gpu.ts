// bench/cuda-gpu.ts: on a machine with an NVIDIA GPU (driver + NVIDIA Container Toolkit), runs the model-server
// example's CUDA image with `docker run --gpus all`, records the device count cudaGetDeviceCount reports and the
// server's answer, and prints them. Not part of CI. Where there is no GPU it fails with one line (exit 1).
//   node --import tsx bench/cuda-gpu.ts [image]
// Without an image it builds sklearn-server/cuda from examples/model-servers first (KILN_CACHE_DIR is honoured).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeCuda } from '../src/testing/cuda.js';
import { copyModelServers, postJson, trainModels } from '../src/testing/model-servers.js';
import { freePort } from '../src/testing/docker.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function fail(message: string): never {
  process.stderr.write(`bench/cuda-gpu: ${message}\n`);
  process.exit(1);
}

function kiln(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(stderr.trim().split('\n').at(-1)))));
  });
}

function docker(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: (result.stderr ?? '').trim() };
}

// Before any build: a machine without a GPU learns so in a second, not after a 600 MB build.
const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
if (smi.status !== 0 || !/^GPU \d+:/m.test(smi.stdout ?? '')) {
  fail(`no NVIDIA GPU here (nvidia-smi -L: ${smi.error ? 'not installed' : (smi.stderr || smi.stdout || `exit ${smi.status}`).trim().split('\n')[0]})`);
}

let image = process.argv[2];
const work = await mkdtemp(join(tmpdir(), 'kiln-bench-cuda-'));
try {
  if (!image) {
    const dir = await copyModelServers(join(work, 'example'));
    await trainModels(dir);
    image = 'kiln-bench/sklearn-server-cuda:latest';
    const seconds = await kiln(['build', dir, '-q', '--only', 'sklearn-server/cuda', '-o', `docker-archive:${work}/cuda.tar:${image}`]);
    console.log(`build sklearn-server/cuda: ${seconds.toFixed(1)} s`);
    if (docker(['load', '-i', join(work, 'cuda.tar')]).status !== 0) fail('docker load of the built image failed');
  }
  const probe = await probeCuda(image, ['--gpus', 'all']);
  if ('load' in probe) fail(`${image}: libcudart did not load (${probe.load})`);
  if (probe.code !== 0) fail(`${image}: cudaGetDeviceCount returned ${probe.code} under --gpus all (35: no driver, 100: no device)`);
  console.log(`${image}: cudaGetDeviceCount = 0 (success), ${probe.count} device(s)`);

  const port = await freePort();
  const run = docker(['run', '-d', '--gpus', 'all', '--read-only', '--tmpfs', '/tmp', '-p', `127.0.0.1:${port}:8080`, image]);
  if (run.status !== 0) fail(`docker run --gpus all ${image}: ${run.stderr}`);
  const id = run.stdout.trim();
  try {
    let answer: unknown;
    for (let i = 0; i < 120 && answer === undefined; i++) {
      answer = await postJson(`http://127.0.0.1:${port}/v1/models/iris:predict`, { instances: [[6.2, 2.9, 4.3, 1.3]] }).catch(() => undefined);
      if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(`server under --gpus all: ${JSON.stringify(answer ?? 'no answer in 60 s')}`);
  } finally {
    docker(['rm', '-f', id]);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
