// Strategy benchmark (issue 7): the seeds' poetry+docker Dockerfiles, kiln's generated Dockerfile and kiln native on
// the same app (examples/model-servers' sklearn server + a wheelhouse of locked dependencies), with Docker Engine and
// BuildKit on this machine, offline: bases are made by kiln from Debian packages and `docker load`ed.
//   node --import tsx bench/strategies/run.ts [--json FILE] [--only NAME,...] [--keep]
// Prints a Markdown table; writes JSON (default bench/strategies/results.json).
import { spawn } from 'node:child_process';
import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runKiln } from '../../src/testing/cli.js';
import { sh } from '../../src/testing/docker.js';
import { startFaultProxy } from '../../src/testing/fault-proxy.js';
import { tempDir } from '../../src/testing/images.js';
import { buildkitClient, copyModelServers, trainModels } from '../../src/testing/model-servers.js';
import { startRegistry } from '../../src/testing/registry.js';
import { ADDED, DEPENDENCIES, startWheelhouse } from './wheelhouse.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOCKER_STRATEGIES = ['basic-full', 'basic-slim', 'layered-slim', 'multi-layered-slim', 'layered-slim-pip-wheels', 'layered-slim-buildkit'];
const ALL = [...DOCKER_STRATEGIES, 'kiln-dockerfile', 'kiln-native'];

const { values } = parseArgs({ options: { json: { type: 'string' }, only: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const strategies = values.only ? values.only.split(',') : ALL;
const jsonFile = values.json ?? join(HERE, 'results.json');

/** Result is one strategy's row. */
interface Result {
  strategy: string;
  /** size is `docker image inspect .Size` (uncompressed), bytes. */
  size: number;
  /** compressed is config + layers as stored in the registry, bytes. */
  compressed: number;
  coldSeconds: number;
  codeChangeSeconds: number;
  addDependencySeconds: number;
  /** pushedAfterCodeChange is the blob bytes uploaded to the registry for the code-changed image. */
  pushedAfterCodeChange: number;
  /** changedLayer is the compressed size of the layer a code change replaces (kiln native only). */
  changedLayer?: number;
}

const docker = await buildkitClient();
process.env.DOCKER_BUILDKIT = '1';
const work = await tempDir('kiln-bench-strategies-');
// KILN_BENCH_CACHE keeps downloaded .debs between runs (memo records are still dropped before each cold build).
const cache = process.env.KILN_BENCH_CACHE ?? join(work, 'cache');
const kilnEnv = { KILN_CACHE_DIR: cache, KILN_DOCKER: docker };
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function timed(what: string, fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  log(`${what}: ${seconds.toFixed(1)} s`);
  return seconds;
}

async function kiln(args: string[]): Promise<string> {
  const result = await runKiln(args, { env: kilnEnv });
  if (result.code !== 0) throw new Error(`kiln ${args.join(' ')}: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return result.stdout;
}

function poetryLock(dir: string): Promise<void> {
  // Asynchronously: the index poetry reads is served by this process.
  return new Promise((resolve, reject) => {
    const child = spawn('poetry', ['lock', '--no-ansi', '--no-update'], { cwd: dir, env: { ...process.env, POETRY_CACHE_DIR: join(work, 'poetry-cache'), POETRY_NO_INTERACTION: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`poetry lock exited with ${code}`))));
  });
}

async function compressedSize(registryHost: string, repository: string, tag: string): Promise<number> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const response = await fetch(`http://${registryHost}/v2/${repository}/manifests/${tag}`, { headers: { accept } });
  const manifest = (await response.json()) as { config: { size: number }; layers: Array<{ size: number }> };
  return manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

// The Docker strategies' bases stand in for Docker's python images: every dependency Debian declares (closure: full)
// and only the doc trimming kiln always did before slim rules existed, so the reference does not shrink with kiln.
const FULL = 'closure: full, slim: {rules: [docs, man, info, lintian]}';
const BASES = `images:
  python-slim:
    base: {distro: debian, release: bookworm, variant: slim, ${FULL}, packages: [python3, python3-venv, python3-pip, python3-sklearn]}
    user: "0"
    cmd: [python3]
  python-slim-poetry:
    base: {distro: debian, release: bookworm, variant: slim, ${FULL}, packages: [python3, python3-venv, python3-pip, python3-sklearn, python3-poetry]}
    user: "0"
    cmd: [python3]
  python-full:
    base: {distro: debian, release: bookworm, variant: slim, ${FULL}, packages: [python3, python3-venv, python3-pip, python3-sklearn, python3-poetry, python3-dev, build-essential, git, curl]}
    user: "0"
    cmd: [python3]
`;

// kiln's manifest for the bench app: the example's sklearn server, with the wheelhouse as find-links.
const appManifest = (wheels: string): string => `images:
  app:
    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3, python3-sklearn]}
    app: {src: models/sklearn, dest: /mnt/models}
    entrypoint: [sklearn-server]
    env: {PORT: "8080", MODEL_NAME: iris, MODEL_DIR: /mnt/models}
    ports: [8080]
    python: {project: sklearn-server, find_links: [${wheels}]}
`;

const registry = await startRegistry();
const proxy = await startFaultProxy(registry.host);
const wheelhouse = await startWheelhouse(join(work, 'wheelhouse'));
const results: Result[] = [];
try {
  log(`work ${work}; docker client ${docker}; registry ${registry.host} via counting proxy ${proxy.host}`);
  // The bases, assembled by kiln from Debian packages and loaded into Docker Engine.
  await mkdir(join(work, 'bases'));
  await writeFile(join(work, 'bases/kiln.yaml'), BASES);
  await timed('bases (kiln from Debian packages)', () => kiln(['build', join(work, 'bases'), '-o', `docker-archive:${work}/bases/{name}.tar:kiln-bench/{name}:latest`, '--quiet']));
  for (const [name, tag] of [['python-slim', '3.11-slim'], ['python-slim-poetry', '3.11-slim-poetry'], ['python-full', '3.11-full']] as const) {
    await sh(docker, ['load', '-i', join(work, 'bases', `${name}.tar`)]);
    await sh(docker, ['tag', `kiln-bench/${name}:latest`, `kiln-bench/python:${tag}`]);
  }

  // The app, three states: v1; v2 = a one-line code change; v3 = v2 plus one more dependency (relocked).
  const app = await copyModelServers(join(work, 'app'));
  await trainModels(app);
  // The shared package goes in the wheelhouse: poetry 1.3 installs path dependencies with `pip --isolated`, whose
  // build isolation needs poetry-core from PyPI, which this offline machine cannot reach.
  await new Promise<void>((resolve, reject) => {
    const child = spawn('poetry', ['build', '-f', 'wheel', '--no-ansi'], { cwd: join(app, 'common'), stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`poetry build exited with ${code}`))));
  });
  await cp(join(app, 'common/dist/model_common-0.1.0-py3-none-any.whl'), join(wheelhouse.dir, 'model_common-0.1.0-py3-none-any.whl'));
  await rm(join(app, 'common/dist'), { recursive: true });
  const project = join(app, 'sklearn-server');
  const pyproject = await readFile(join(project, 'pyproject.toml'), 'utf8');
  const deps = DEPENDENCIES.filter((spec) => !DEPENDENCIES.some((other) => other.requires?.some((r) => r.startsWith(spec.name))));
  const withDeps = pyproject.replace(/^model-common = .*$/m, () => ['model-common = "^0.1"', ...deps.map((spec) => `${spec.name} = "^1.0"`)].join('\n')) +
    `\n[[tool.poetry.source]]\nname = "local"\nurl = "${wheelhouse.indexUrl}"\ndefault = true\n`;
  await writeFile(join(project, 'pyproject.toml'), withDeps);
  await poetryLock(project);
  await writeFile(join(app, 'kiln.yaml'), appManifest(wheelhouse.dir));
  const states = join(work, 'states');
  await cp(project, join(states, 'v1'), { recursive: true });
  await cp(join(app, 'common'), join(states, 'common'), { recursive: true });
  await cp(join(states, 'v1'), join(states, 'v3'), { recursive: true });
  await writeFile(join(states, 'v3/pyproject.toml'), withDeps.replace(/^model-common = .*$/m, (line) => `${line}\n${ADDED.name} = "^1.0"`));
  await poetryLock(join(states, 'v3'));
  const codeChange = async (dir: string): Promise<void> => appendFile(join(dir, 'sklearn-server/sklearn_server/__init__.py'), '\n# code change\n');
  const addDependency = async (dir: string): Promise<void> => {
    for (const file of ['pyproject.toml', 'poetry.lock']) await cp(join(states, 'v3', file), join(dir, 'sklearn-server', file));
  };

  for (const strategy of strategies) {
    if (!ALL.includes(strategy)) throw new Error(`unknown strategy ${strategy} (known: ${ALL.join(', ')})`);
    const dir = join(work, 'ctx', strategy);
    await cp(app, dir, { recursive: true });
    await rm(join(dir, 'generated'), { recursive: true, force: true });
    const repository = `bench/${strategy}`;
    const remote = (tag: string): string => `${proxy.host}/${repository}:${tag}`;
    const local = (tag: string): string => `kiln-bench/app:${strategy}-${tag}`;
    const result: Result = { strategy, size: 0, compressed: 0, coldSeconds: 0, codeChangeSeconds: 0, addDependencySeconds: 0, pushedAfterCodeChange: 0 };
    // Cold: no build cache (BuildKit's pruned, kiln's memo records gone); bases and downloaded .debs stay, as after a pull.
    await sh(docker, ['builder', 'prune', '-af']);
    await rm(join(cache, 'memo'), { recursive: true, force: true });

    if (DOCKER_STRATEGIES.includes(strategy)) {
      const build = (tag: string, extra: string[] = []): Promise<string> => sh(docker, ['build', ...extra, '--network', 'host', '--build-arg', `INDEX_URL=${wheelhouse.indexUrl}`,
        '-f', join(HERE, 'dockerfiles', `${strategy}.dockerfile`), '-t', local(tag), dir], { timeout: 600_000 });
      result.coldSeconds = await timed(`${strategy} cold`, () => build('v1', ['--no-cache']));
      await sh(docker, ['tag', local('v1'), remote('v1')]);
      await sh(docker, ['push', remote('v1')]);
      await codeChange(dir);
      result.codeChangeSeconds = await timed(`${strategy} code change`, () => build('v2'));
      await sh(docker, ['tag', local('v2'), remote('v2')]);
      const before = proxy.uploadedBytes();
      await sh(docker, ['push', remote('v2')]);
      result.pushedAfterCodeChange = proxy.uploadedBytes() - before;
      await addDependency(dir);
      result.addDependencySeconds = await timed(`${strategy} add dependency`, () => build('v3'));
      result.size = Number((await sh(docker, ['image', 'inspect', '-f', '{{.Size}}', local('v2')])).trim());
    } else {
      const backend = strategy === 'kiln-dockerfile' ? ['--backend', 'docker'] : [];
      const build = (tag: string): Promise<string> => kiln(['build', dir, ...backend, '-o', `oci:${dir}/out:${tag}`, '--json', '--quiet']);
      let report = '';
      result.coldSeconds = await timed(`${strategy} cold`, async () => (report = await build('v1')));
      const layersOf = (json: string): Array<{ digest: string; size: number }> => (JSON.parse(json) as { images: Array<{ layers: Array<{ digest: string; size: number }> }> }).images[0]!.layers;
      const v1Layers = layersOf(report);
      await kiln(['push', `oci:${dir}/out:v1`, `docker://${remote('v1')}`, '--quiet']);
      await codeChange(dir);
      result.codeChangeSeconds = await timed(`${strategy} code change`, async () => (report = await build('v2')));
      const changed = layersOf(report).filter((layer) => !v1Layers.some((old) => old.digest === layer.digest));
      result.changedLayer = changed.reduce((sum, layer) => sum + layer.size, 0);
      const before = proxy.uploadedBytes();
      await kiln(['push', `oci:${dir}/out:v2`, `docker://${remote('v2')}`, '--quiet']);
      result.pushedAfterCodeChange = proxy.uploadedBytes() - before;
      await addDependency(dir);
      result.addDependencySeconds = await timed(`${strategy} add dependency`, () => build('v3'));
      // Docker's own measure of size, as for the Dockerfile strategies: pull the pushed image.
      await sh(docker, ['pull', remote('v2')]);
      result.size = Number((await sh(docker, ['image', 'inspect', '-f', '{{.Size}}', remote('v2')])).trim());
    }
    result.compressed = await compressedSize(proxy.host, repository, 'v2');
    results.push(result);
    log(JSON.stringify(result));
    for (const tag of ['v1', 'v2', 'v3']) {
      await sh(docker, ['rmi', '-f', local(tag), remote(tag)]).catch(() => undefined);
    }
  }
} finally {
  await wheelhouse.close();
  await proxy.close();
  await registry.stop();
  if (!values.keep) await rm(work, { recursive: true, force: true });
}

const mb = (bytes: number): string => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : (bytes / 1e6).toFixed(1));
const reference = results.find((r) => r.strategy === 'layered-slim');
const rows = results.map((r) => {
  const ratio = reference && r !== reference ? ` (${(r.size / reference.size).toFixed(2)}x)` : '';
  return `| ${r.strategy} | ${mb(r.size)}${ratio} | ${mb(r.compressed)} | ${r.coldSeconds.toFixed(1)} | ${r.codeChangeSeconds.toFixed(1)} | ${r.addDependencySeconds.toFixed(1)} | ${mb(r.pushedAfterCodeChange)}${r.changedLayer !== undefined ? ` (changed layer ${mb(r.changedLayer)})` : ''} |`;
});
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${(await sh(docker, ['version', '--format', 'Docker Engine {{.Server.Version}}'])).trim()}, Node ${process.version}`;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`,
  '',
  '| strategy | image size MB (vs layered-slim) | compressed MB | cold build s | code-change rebuild s | add-a-dependency rebuild s | pushed after code change MB |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
await writeFile(jsonFile, JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2) + '\n');
log(`wrote ${jsonFile}`);
