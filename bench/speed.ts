// Speed benchmark (issue 15): one run prints the issue's targets as a table, kiln against Docker BuildKit on the same
// app, with ratios. It runs the compiled CLI (bin/kiln.js -> dist/, as installed; `npm run build` first) in child
// processes timed by /usr/bin/time (wall, CPU, peak RSS); each figure is the median of --runs runs.
//   node --import tsx bench/speed.ts [--runs N] [--no-docker] [--model-server] [--threads 1,2] [--json FILE]
// Rows: hello-python and the poetry fixture (test/fixtures/python-project) no-change and code-change rebuilds into
// an oci: layout (a new kiln process each, and a code change under a running `kiln build --watch`), hello-python
// cold with its .debs cached (memo records dropped), the docker backend's code-change rebuild against the
// `docker build` step alone, hello-python's unpacked size; with --model-server, the model-server cold build (per
// KILN_THREADS value of --threads) and its size against the layered-slim seed strategy, through bench/strategies/run.ts.
// Needs network (Debian mirror) on the first run unless KILN_BENCH_CACHE holds the .debs.
import { spawn } from 'node:child_process';
import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { repoRoot } from '../src/testing/cli.js';
import { sh } from '../src/testing/docker.js';
import { tempDir } from '../src/testing/images.js';
import { buildkitClient } from '../src/testing/model-servers.js';
import { copyPythonProject } from '../src/testing/python-project.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'no-docker': { type: 'boolean', default: false },
    'model-server': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1,2' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const KILN = join(repoRoot, 'bin/kiln.js');
if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build first (the bench times the compiled CLI)');
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const work = await tempDir('kiln-bench-speed-');
const cache = process.env.KILN_BENCH_CACHE ?? join(work, 'cache');

/** Run is one timed process. */
interface Run {
  wall: number;
  cpu: number;
  rssMb: number;
  stdout: string;
}

/** timed runs a command under /usr/bin/time and returns wall and CPU seconds and peak RSS; a failure throws. */
async function timed(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const report = join(work, `time-${process.pid}.txt`);
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', report, command, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ code: status ?? 1, stdout: out, stderr: err }));
  });
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const [, user, system, rss] = (await readFile(report, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user! + system!, rssMb: rss! / 1024, stdout };
}

const kiln = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => timed(process.execPath, [KILN, ...args], { env: { KILN_CACHE_DIR: cache, ...env } });

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.wall - b.wall);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return { ...mid, cpu: [...runs].sort((a, b) => a.cpu - b.cpu)[Math.floor(runs.length / 2)]!.cpu, rssMb: Math.max(...runs.map((run) => run.rssMb)) };
}

async function repeat(what: string, before: (i: number) => Promise<void>, run: () => Promise<Run>): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    await before(i);
    runs.push(await run());
  }
  const result = median(runs);
  log(`${what}: median ${result.wall.toFixed(3)} s wall, ${result.cpu.toFixed(2)} s CPU (${runs.map((r) => r.wall.toFixed(2)).join(' ')})`);
  return result;
}

/**
 * watchLatency starts `kiln build DIR --watch --json` and times, per run, an append to `file` until the report of the
 * build it starts is printed: what a developer waits for between saving and an image in the output. Median wall.
 */
async function watchLatency(what: string, dir: string, file: string, output: string): Promise<number> {
  const child = spawn(process.execPath, [KILN, 'build', dir, '--watch', '--json', '--quiet', '-o', output], { env: { ...process.env, KILN_CACHE_DIR: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no report within 60 s: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)), 60_000);
    lines.once('line', (line) => (clearTimeout(timer), resolve(line)));
  });
  try {
    await next();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Past the debounce and the racy window of the last save.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      await appendFile(file, `# watch ${i}\n`);
      JSON.parse(await next());
      times.push((performance.now() - started) / 1000);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    log(`${what}: median ${median.toFixed(3)} s (${times.map((t) => t.toFixed(3)).join(' ')})`);
    return median;
  } finally {
    child.kill('SIGINT');
  }
}

/** Row is one line of the table: kiln's figure, Docker's on the same app (if measured), the target. */
interface Row {
  what: string;
  kiln: string;
  docker?: string;
  ratio?: string;
  target: string;
  met?: boolean;
}
const rows: Row[] = [];
const seconds = (run: Run): string => `${run.wall.toFixed(2)} s (CPU ${run.cpu.toFixed(2)} s)`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

const docker = values['no-docker'] ? undefined : await buildkitClient().catch(() => undefined);
const dockerEnv = { DOCKER_BUILDKIT: '1' };
const dockerBuild = (args: string[]): Promise<Run> => timed(docker!, ['build', '-q', ...args], { env: dockerEnv });

try {
  // hello-python: the README's example, into an oci: layout.
  const hello = join(work, 'hello-python');
  await cp(join(repoRoot, 'examples/hello-python'), hello, { recursive: true });
  const helloOut = `oci:${join(work, 'out/hello')}:latest`;
  const buildHello = (env: NodeJS.ProcessEnv = {}): Promise<Run> => kiln(['build', hello, '-o', helloOut, '--quiet', '--json'], env);
  log(`work ${work}, cache ${cache}; first build fetches the .debs unless the cache has them`);
  const first = await buildHello();
  const report = (JSON.parse(first.stdout) as { images: Array<{ unpackedSize: number; size: number }> }).images[0]!;
  const cold = await repeat('hello-python cold (debs cached)', async () => rm(join(cache, 'memo'), { recursive: true, force: true }), () => buildHello());
  const noChange = await repeat('hello-python no change', async () => undefined, () => buildHello());
  const change = await repeat('hello-python code change', async (i) => appendFile(join(hello, 'server.py'), `# change ${i}\n`), () => buildHello());

  // Docker on the same app: kiln's hello-python base (no app) loaded into the daemon, then FROM it + COPY the app.
  let dockerCold: Run | undefined;
  let dockerNoChange: Run | undefined;
  let dockerChange: Run | undefined;
  const dockerApp = join(work, 'docker-hello');
  if (docker) {
    const baseDir = join(work, 'hello-base');
    await mkdir(baseDir, { recursive: true });
    await writeFile(join(baseDir, 'kiln.yaml'), 'images:\n  hello-base:\n    base: {distro: debian, release: bookworm, packages: [python3, ca-certificates]}\n');
    await kiln(['build', baseDir, '-o', `docker-archive:${join(work, 'hello-base.tar')}:kiln-bench/hello-base:latest`, '--quiet']);
    await sh(docker, ['load', '-i', join(work, 'hello-base.tar')]);
    await cp(join(repoRoot, 'examples/hello-python/server.py'), join(dockerApp, 'server.py'), { recursive: true });
    await writeFile(join(dockerApp, 'Dockerfile'), 'FROM kiln-bench/hello-base:latest\nCOPY server.py /app/server.py\nENV PYTHONUNBUFFERED=1 PORT=8080\nEXPOSE 8080\nENTRYPOINT ["python3", "/app/server.py"]\n');
    const build = (extra: string[] = []): Promise<Run> => dockerBuild([...extra, '-t', 'kiln-bench/hello-docker:latest', dockerApp]);
    // --no-cache rather than pruning the builder: the daemon may be shared, and its cache is not this bench's.
    dockerCold = await repeat('docker hello cold (base loaded)', async () => undefined, () => build(['--no-cache']));
    dockerNoChange = await repeat('docker hello no change', async () => undefined, () => build());
    dockerChange = await repeat('docker hello code change', async (i) => appendFile(join(dockerApp, 'server.py'), `# change ${i}\n`), () => build());
  }
  const withDocker = (what: string, run: Run, other: Run | undefined, target: string, limit: number): Row => ({
    what, kiln: seconds(run), target, met: run.wall <= limit,
    ...(other ? { docker: seconds(other), ratio: ratio(run.wall, other.wall) } : {}),
  });
  rows.push(withDocker('hello-python code change, oci:', change, dockerChange, '<= 0.25 s', 0.25));
  const helloWatch = await watchLatency('hello-python code change under --watch', hello, join(hello, 'server.py'), helloOut);
  rows.push({ what: 'hello-python code change under `kiln build --watch` (save to report)', kiln: `${helloWatch.toFixed(2)} s`, target: '<= 0.25 s', met: helloWatch <= 0.25 });
  rows.push(withDocker('hello-python no change, oci:', noChange, dockerNoChange, '<= 0.15 s', 0.15));
  rows.push(withDocker('hello-python cold, debs cached', cold, dockerCold, '<= 1 s', 1));

  // The poetry fixture (a project with a path dependency, wheels from find-links): an edit of the project's code.
  const poetry = join(work, 'poetry');
  await copyPythonProject(poetry);
  await writeFile(join(poetry, 'kiln.yaml'), 'images:\n  demo:\n    base: {distro: debian, release: bookworm, packages: [python3, python3-pip], variant: slim}\n    app: {src: app, dest: /app}\n    entrypoint: [demo-server]\n    python:\n      project: demo-server\n      find_links: [wheels]\n');
  const buildPoetry = (): Promise<Run> => kiln(['build', poetry, '-o', `oci:${join(work, 'out/poetry')}:latest`, '--quiet']);
  await buildPoetry();
  const poetryNoChange = await repeat('poetry fixture no change', async () => undefined, buildPoetry);
  const poetryChange = await repeat('poetry fixture code change', async (i) => appendFile(join(poetry, 'demo-server/demo_server/main.py'), `# change ${i}\n`), buildPoetry);
  const poetryApp = await repeat('poetry fixture app change', async (i) => appendFile(join(poetry, 'app/message.txt'), `change ${i}\n`), buildPoetry);
  rows.push({ what: 'poetry fixture code change (project source), oci:', kiln: seconds(poetryChange), target: '<= 0.25 s', met: poetryChange.wall <= 0.25 });
  rows.push({ what: 'poetry fixture app change, oci:', kiln: seconds(poetryApp), target: '<= 0.25 s', met: poetryApp.wall <= 0.25 });
  const poetryWatch = await watchLatency('poetry fixture code change under --watch', poetry, join(poetry, 'demo-server/demo_server/main.py'), `oci:${join(work, 'out/poetry')}:latest`);
  rows.push({ what: 'poetry fixture code change under `kiln build --watch` (save to report)', kiln: `${poetryWatch.toFixed(2)} s`, target: '<= 0.25 s', met: poetryWatch <= 0.25 });
  rows.push({ what: 'poetry fixture no change, oci:', kiln: seconds(poetryNoChange), target: '<= 0.15 s', met: poetryNoChange.wall <= 0.15 });

  // The docker backend after a code change, against the `docker build` of the context it generated, alone.
  if (docker) {
    const backendApp = join(work, 'backend-hello');
    await cp(join(repoRoot, 'examples/hello-python'), backendApp, { recursive: true });
    const generated = join(work, 'generated');
    const backendEnv = { KILN_DOCKER: docker, KILN_GENERATED_DIR: generated };
    const buildBackend = (): Promise<Run> => kiln(['build', backendApp, '--backend', 'docker', '-o', `oci:${join(work, 'out/backend')}:latest`, '--quiet'], backendEnv);
    await buildBackend();
    const backend = await repeat('docker backend code change', async (i) => appendFile(join(backendApp, 'server.py'), `# change ${i}\n`), buildBackend);
    const step = await repeat('its docker build step alone', async (i) => appendFile(join(generated, 'hello-python', 'app', 'server.py'), `# step ${i}\n`).catch(async () => {
      throw new Error(`no generated context at ${join(generated, 'hello-python')}: the docker backend's layout changed, update bench/speed.ts`);
    }), () => dockerBuild(['-t', 'kiln-bench/hello-step:latest', '-f', join(generated, 'hello-python', 'Dockerfile'), join(generated, 'hello-python')]));
    rows.push({ what: 'docker backend code change (vs its docker build step)', kiln: seconds(backend), docker: seconds(step), ratio: ratio(backend.wall, step.wall), target: '<= 1.2x', met: backend.wall <= 1.2 * step.wall });
  }

  rows.push({ what: 'hello-python unpacked size', kiln: `${(report.unpackedSize / 1e6).toFixed(1)} MB (${(report.size / 1e6).toFixed(1)} MB compressed)`, target: '<= 30 MB', met: report.unpackedSize <= 30e6 });
  rows.push({ what: 'peak RSS, hello-python cold', kiln: `${cold.rssMb.toFixed(0)} MB`, target: '(model server <= 300 MB)' });

  if (values['model-server']) {
    // The model server's base (python3 + python3-sklearn, distroless) cold with its .debs cached, per thread count:
    // kiln's wall time and peak RSS (the strategies bench below times the whole image, Python layers included).
    const model = join(work, 'model-server');
    await mkdir(join(model, 'app'), { recursive: true });
    await writeFile(join(model, 'kiln.yaml'), 'images:\n  model-server:\n    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3, python3-sklearn]}\n    app: {src: app, dest: /app}\n    entrypoint: [python3, /app/server.py]\n');
    await writeFile(join(model, 'app/server.py'), 'print("serving")\n');
    const buildModel = (threads: string): Promise<Run> => kiln(['build', model, '-o', `oci:${join(work, 'out/model')}:latest`, '--quiet'], { KILN_THREADS: threads });
    await buildModel('1');
    for (const threads of values.threads.split(',')) {
      const run = await repeat(`model-server base cold, KILN_THREADS=${threads}`, async () => rm(join(cache, 'memo'), { recursive: true, force: true }), () => buildModel(threads));
      rows.push({ what: `model-server base cold (debs cached), KILN_THREADS=${threads}: wall, peak RSS`, kiln: `${seconds(run)}, ${run.rssMb.toFixed(0)} MB`, target: '<= 10 s on 2 cores; <= 300 MB', met: run.rssMb <= 300 && (threads !== '2' || run.wall <= 10) });
    }

    // The model server through the strategies bench: kiln native (per thread count) and the layered-slim seed.
    for (const threads of values.threads.split(',')) {
      const json = join(work, `strategies-${threads}.json`);
      const only = threads === values.threads.split(',')[0] ? 'layered-slim,kiln-native' : 'kiln-native';
      const run = await timed(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/strategies/run.ts'), '--only', only, '--json', json], { env: { KILN_THREADS: threads, KILN_BENCH_CACHE: join(work, 'strategies-cache') } });
      const results = (JSON.parse(await readFile(json, 'utf8')) as { results: Array<{ strategy: string; size: number; coldSeconds: number }> }).results;
      const native = results.find((r) => r.strategy === 'kiln-native')!;
      const slim = results.find((r) => r.strategy === 'layered-slim') ?? JSON.parse(await readFile(join(work, `strategies-${values.threads.split(',')[0]}.json`), 'utf8')).results.find((r: { strategy: string }) => r.strategy === 'layered-slim');
      rows.push({ what: `model-server cold, KILN_THREADS=${threads}`, kiln: `${native.coldSeconds.toFixed(1)} s`, docker: `${slim.coldSeconds.toFixed(1)} s`, ratio: ratio(native.coldSeconds, slim.coldSeconds), target: '<= 10 s on 2 cores', ...(threads === '2' ? { met: native.coldSeconds <= 10 } : {}) });
      if (threads === values.threads.split(',')[0]) {
        rows.push({ what: 'model-server size vs layered-slim', kiln: `${(native.size / 1e6).toFixed(0)} MB`, docker: `${(slim.size / 1e6).toFixed(0)} MB`, ratio: ratio(native.size, slim.size), target: '<= 0.2x', met: native.size <= 0.2 * slim.size });
      }
      log(`strategies bench (KILN_THREADS=${threads}) peak RSS of the harness ${run.rssMb.toFixed(0)} MB`);
    }
  }
} finally {
  if (docker) for (const tag of ['kiln-bench/hello-docker:latest', 'kiln-bench/hello-step:latest', 'kiln-bench/hello-base:latest']) await sh(docker, ['rmi', tag]).catch(() => undefined);
  if (!values.keep) await rm(work, { recursive: true, force: true });
}

const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${docker ? `, ${(await sh(docker, ['version', '--format', 'Docker Engine {{.Server.Version}}'])).trim()}` : ''}`;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; medians of ${RUNS} runs, wall (CPU).`,
  '',
  '| what | kiln | docker (BuildKit, same app) | kiln / docker | target | met |',
  '|---|---|---|---|---|---|',
  ...rows.map((row) => `| ${row.what} | ${row.kiln} | ${row.docker ?? '-'} | ${row.ratio ?? '-'} | ${row.target} | ${row.met === undefined ? '-' : row.met ? 'yes' : 'no'} |`),
].join('\n');
console.log(table);
if (values.json) await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2) + '\n');
