// The model-server example (examples/model-servers) as test and bench material: copy it, train its models with
// the host's Debian Python (python3-sklearn), ask that Python for the expected predictions, and serve a built
// image under Docker the way a cluster would (non-root, read-only root filesystem, tmpfs /tmp).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './cli.js';
import { freePort, sh } from './docker.js';

const exec = promisify(execFile);

/** MODEL_SERVERS is the example's folder in the checkout. */
export const MODEL_SERVERS = join(repoRoot, 'examples/model-servers');

/** ServerKind names the example's servers: sklearn-server and numpy-server. */
export type ServerKind = 'sklearn' | 'numpy';

/** SERVER_KINDS lists both servers. */
export const SERVER_KINDS: readonly ServerKind[] = ['sklearn', 'numpy'];

/** HOST_PYTHON is the interpreter with Debian's numpy and scikit-learn ($KILN_TEST_PYTHON, default /usr/bin/python3). */
export const HOST_PYTHON = process.env.KILN_TEST_PYTHON || '/usr/bin/python3';

// Generated or machine-specific: a copy starts without them.
const SKIP = new Set(['models', 'out', 'generated', 'kiln.lock']);

/** copyModelServers copies the example (sources, locks, data, kiln.yaml) to `dir`. */
export async function copyModelServers(dir: string): Promise<string> {
  await cp(MODEL_SERVERS, dir, {
    recursive: true,
    filter: (source) => {
      const relative = source.slice(MODEL_SERVERS.length + 1);
      return !SKIP.has(relative.split('/')[0]!) && !relative.includes('__pycache__');
    },
  });
  return dir;
}

/** trainModels runs the example's train.py for both servers into dir/models/<kind>. */
export async function trainModels(dir: string): Promise<void> {
  for (const kind of SERVER_KINDS) {
    await exec(HOST_PYTHON, [join(dir, 'train.py'), kind, join(dir, 'models', kind)]);
  }
}

/** irisRows reads the example's data set as feature rows (no labels). */
export async function irisRows(dir: string = MODEL_SERVERS): Promise<number[][]> {
  const lines = (await readFile(join(dir, 'data/iris.csv'), 'utf8')).trim().split('\n').slice(1);
  return lines.map((line) => line.split(',').slice(0, 4).map(Number));
}

/** expectedPredictions asks the host's Python for the trained model's answers. */
export async function expectedPredictions(dir: string, kind: ServerKind, instances: number[][]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(HOST_PYTHON, [join(dir, 'train.py'), 'predict', kind, join(dir, 'models', kind)], (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as number[]);
    });
    child.stdin!.end(JSON.stringify({ instances }));
  });
}

/** RunningServer is a container serving a model on a host port. */
export interface RunningServer {
  id: string;
  url: string;
  stop(): Promise<void>;
}

/** serveImage starts `image` detached with a read-only root filesystem and a tmpfs /tmp; ready() waits for it. */
export async function serveImage(image: string, docker = "docker"): Promise<RunningServer> {
  const port = await freePort();
  const id = (await sh(docker, ['run', '-d', '--read-only', '--tmpfs', '/tmp', '-p', `127.0.0.1:${port}:8080`, image])).trim();
  return { id, url: `http://127.0.0.1:${port}`, stop: async () => void (await sh(docker, ['rm', '-f', id]).catch(() => undefined)) };
}

// AbortSignal.timeout's timer is unref'd: a request hanging on docker-proxy (container not listening yet) would let
// the event loop drain. This timer is ref'd, so the request is aborted instead.
async function fetchWithin(url: string, ms: number, init: RequestInit = {}): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** waitReady polls /v2/health/ready until it answers 200. */
export async function waitReady(server: RunningServer, seconds = 60, docker = 'docker'): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const state = (await sh(docker, ['inspect', '-f', '{{.State.Status}}', server.id])).trim();
      if (state !== 'running') throw new Error(`container ${state}: ${await sh(docker, ['logs', server.id]).catch(() => '')}`);
      const response = await fetchWithin(`${server.url}/v2/health/ready`, 2000);
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      if (String(error).includes('container ')) throw error;
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const logs = await sh(docker, ['logs', server.id]).catch((error: Error) => error.message);
  throw new Error(`${server.url} not ready in ${seconds}s (${last}); logs: ${logs}`);
}

/** postJson POSTs a JSON body and returns the status and parsed answer. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetchWithin(url, 30_000, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** buildkitClient is a docker CLI with BuildKit: $KILN_DOCKER, docker with buildx, or Debian's docker.io 20.10 (built in). */
export async function buildkitClient(): Promise<string> {
  if (process.env.KILN_DOCKER) return process.env.KILN_DOCKER;
  const buildx = await sh('docker', ['buildx', 'version']).then(() => true, () => false);
  return buildx || !existsSync('/usr/bin/docker') ? 'docker' : '/usr/bin/docker';
}
