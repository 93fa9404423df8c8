// Issue 6 acceptance (Dockerfile half): `kiln build --backend docker` builds the same entries with Docker
// Engine's BuildKit, FROM the base kiln assembled and loaded into docker; the native and docker images of an
// entry run the same command and answer the same way, with the same user, entrypoint, env and files.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runKiln } from '../../src/testing/cli.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { copyPythonProject, SLIM_PIP_MANIFEST } from '../../src/testing/python-project.js';

const exec = promisify(execFile);

/** buildkitClient finds a docker CLI whose `DOCKER_BUILDKIT=1 docker build` works (the buildx plugin, or docker 20.10's built-in BuildKit). */
async function buildkitClient(t: TestContext, work: string): Promise<string | undefined> {
  if (!(await requireTool(t, 'docker'))) return undefined;
  const probe = join(work, 'buildkit-probe');
  await mkdir(probe, { recursive: true });
  await writeFile(join(probe, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /\n');
  for (const client of [...new Set([process.env.KILN_DOCKER, 'docker', '/usr/bin/docker'].filter((c): c is string => Boolean(c)))]) {
    const works = await exec(client, ['build', '-q', '-t', 'kiln-test/buildkit-probe:e2e', probe], { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeout: 60_000 }).then(() => true, () => false);
    if (works) return client;
  }
  throw new Error('no docker client builds with BuildKit here (install docker-buildx or use docker 20.10)');
}

interface Inspected { User: string; Entrypoint: string[] | null; Cmd: string[] | null; Env: string[]; WorkingDir: string; ExposedPorts?: Record<string, unknown>; Labels: Record<string, string> }

async function inspect(tag: string): Promise<Inspected> {
  return JSON.parse(await sh('docker', ['image', 'inspect', '--format', '{{json .Config}}', tag])) as Inspected;
}

// Every file under the given folders with its mode and content hash, read inside the container by its Python.
const LIST_FILES = [
  'import hashlib, os, sys',
  'for top in sys.argv[1:]:',
  '    for root, dirs, files in os.walk(top):',
  '        for name in sorted(files):',
  '            path = os.path.join(root, name)',
  '            st = os.lstat(path)',
  '            data = os.readlink(path).encode() if os.path.islink(path) else open(path, "rb").read()',
  '            print(path, oct(st.st_mode), st.st_uid, hashlib.sha256(data).hexdigest())',
].join('\n');

async function files(tag: string, dirs: string[]): Promise<string[]> {
  return (await sh('docker', ['run', '--rm', '--entrypoint', 'python3', tag, '-c', LIST_FILES, ...dirs])).trim().split('\n').sort();
}

/** buildBoth builds `dir` natively and with the docker backend into docker-archives and loads the native one. */
async function buildBoth(work: string, dir: string, name: string, env: NodeJS.ProcessEnv): Promise<{ native: string; docker: string }> {
  const native = `kiln-test/${name}-native:e2e`;
  const docker = `kiln-test/${name}-docker:e2e`;
  const built = await runKiln(['build', dir, '-q', '-o', `docker-archive:${work}/${name}-native.tar:${native}`], { env });
  assert.equal(built.code, 0, built.stderr);
  const viaDocker = await runKiln(['build', dir, '--backend', 'docker', '--json', '-q', '-o', `docker-archive:${work}/${name}-docker.tar:${docker}`], { env });
  assert.equal(viaDocker.code, 0, viaDocker.stderr);
  const report = (JSON.parse(viaDocker.stdout) as { images: Array<{ digest: string; outputs: string[] }> }).images[0]!;
  assert.match(report.digest, /^sha256:[0-9a-f]{64}$/);
  await stat(`${work}/${name}-docker.tar`);
  await sh('docker', ['load', '-i', `${work}/${name}-native.tar`]);
  return { native, docker };
}

async function cleanup(tags: string[]): Promise<void> {
  const bases = (await sh('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'kiln-base/*']).catch(() => '')).split('\n').filter(Boolean);
  await sh('docker', ['rmi', '-f', ...tags, ...bases, 'kiln-test/buildkit-probe:e2e']).catch(() => undefined);
}

test('hello-python: native and docker-backend images answer the same, as the same user, with the same config and app files', { timeout: 600_000 }, async (t) => {
  const work = await tempDir();
  const client = await buildkitClient(t, work);
  if (!client) return;
  const dir = join(work, 'hello');
  await mkdir(dir);
  for (const file of ['kiln.yaml', 'kiln.lock', 'server.py']) await cp(join(repoRoot, 'examples/hello-python', file), join(dir, file)).catch(() => undefined);
  const env = { KILN_CACHE_DIR: join(work, 'cache'), KILN_DOCKER: client, KILN_GENERATED_DIR: join(work, 'generated') };
  const { native, docker } = await buildBoth(work, dir, 'hello', env);
  try {
    const dockerfile = await readFile(join(work, 'generated/hello-python/Dockerfile'), 'utf8');
    assert.match(dockerfile, /^# generated by kiln, do not edit\n/);
    assert.match(dockerfile, /^FROM kiln-base\/hello-python:[0-9a-f]{12} AS base$/m, 'FROM the base kiln assembled and loaded');
    const [a, b] = [await inspect(native), await inspect(docker)];
    for (const key of ['User', 'Entrypoint', 'Cmd', 'WorkingDir', 'ExposedPorts'] as const) assert.deepEqual(b[key], a[key], key);
    assert.deepEqual([...b.Env].sort(), [...a.Env].sort());
    assert.equal(a.User, '65532');
    for (const [key, value] of Object.entries(a.Labels)) assert.equal(b.Labels[key], value, `label ${key}`);
    assert.deepEqual(await files(docker, ['/app']), await files(native, ['/app']));

    const answers: string[] = [];
    for (const tag of [native, docker]) {
      const port = await freePort();
      const id = (await sh('docker', ['run', '-d', '--rm', '-p', `127.0.0.1:${port}:8080`, tag])).trim();
      try {
        const response = await httpGetWithRetry(`http://127.0.0.1:${port}/`);
        assert.equal(response.status, 200);
        answers.push(response.body);
      } finally {
        await sh('docker', ['rm', '-f', id]).catch(() => undefined);
      }
    }
    assert.equal(answers[1], answers[0]);
    assert.equal((JSON.parse(answers[0]!) as { uid: number }).uid, 65532);
  } finally {
    await cleanup([native, docker]);
    await rm(work, { recursive: true, force: true });
  }
});

test('docker backend then `kiln push DIR`: the digest build --json reports is in every output and in the registry', { timeout: 600_000 }, async (t) => {
  const work = await tempDir();
  const client = await buildkitClient(t, work);
  if (!client) return;
  const registry = process.env.KILN_TEST_REGISTRY ?? '127.0.0.1:5000';
  const reachable = await fetch(`http://${registry}/v2/`).then((response) => response.ok, () => false);
  if (!reachable) {
    if (process.env.KILN_TEST_SERVICES === '1') throw new Error(`the test registry ${registry} does not answer`);
    t.skip(`no registry at ${registry} (scripts/test-services.sh start)`);
    return;
  }
  const dir = join(work, 'hello');
  await mkdir(dir);
  for (const file of ['kiln.lock', 'server.py']) await cp(join(repoRoot, 'examples/hello-python', file), join(dir, file)).catch(() => undefined);
  const repository = `${registry}/kiln-e2e/docker-push-${process.pid}`;
  const manifest = await readFile(join(repoRoot, 'examples/hello-python/kiln.yaml'), 'utf8');
  await writeFile(join(dir, 'kiln.yaml'), `registries:\n  local: { repository: "${repository}", insecure: true }\n${manifest}`);
  const env = { KILN_CACHE_DIR: join(work, 'cache'), KILN_DOCKER: client, KILN_GENERATED_DIR: join(work, 'generated') };
  const tag = 'kiln-test/hello-push:e2e';
  try {
    const built = await runKiln(['build', dir, '--backend', 'docker', '--json', '-q', '-o', `oci:${work}/layout`, '-o', `docker-archive:${work}/hello.tar:${tag}`], { env });
    assert.equal(built.code, 0, built.stderr);
    const digest = (JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;
    const index = JSON.parse(await readFile(join(work, 'layout/index.json'), 'utf8')) as { manifests: Array<{ digest: string; artifactType?: string }> };
    assert.deepEqual(index.manifests.filter((m) => !m.artifactType).map((m) => m.digest), [digest], 'the oci: output holds the reported digest (and its SBOM beside it)');
    const { stdout: listing } = await exec('tar', ['-tf', join(work, 'hello.tar')]);
    assert.match(listing, new RegExp(`^blobs/sha256/${digest.slice(7)}$`, 'm'), 'the docker-archive output carries the reported manifest');

    // An edit after the build must not reach the registry: push sends the image the docker backend built.
    await writeFile(join(dir, 'server.py'), `${await readFile(join(dir, 'server.py'), 'utf8')}\n# edited after the build\n`);
    const pushed = await runKiln(['push', dir, '--json', '-q'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const published = (JSON.parse(pushed.stdout) as { published: Array<{ status: string; references: string[] }> }).published;
    assert.deepEqual(published.map((p) => [p.status, p.references]), [['pushed', [`${repository}/hello-python:latest@${digest}`]]]);
    const { stdout: raw } = await exec('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${repository}/hello-python:latest`]);
    assert.equal(createHash('sha256').update(raw).digest('hex'), digest.slice(7), 'the registry serves the very manifest');
  } finally {
    await cleanup([tag]);
    await rm(work, { recursive: true, force: true });
  }
});

test('the poetry fixture project: the docker backend builds the venv with pip from hashed pins; same output, venv and app as native', { timeout: 600_000 }, async (t) => {
  const work = await tempDir();
  const client = await buildkitClient(t, work);
  if (!client) return;
  const dir = join(work, 'project');
  await copyPythonProject(dir);
  await writeFile(join(dir, 'kiln.yaml'), SLIM_PIP_MANIFEST);
  const env = { KILN_CACHE_DIR: join(work, 'cache'), KILN_DOCKER: client, KILN_GENERATED_DIR: join(work, 'generated') };
  const { native, docker } = await buildBoth(work, dir, 'demo', env);
  try {
    const dockerfile = await readFile(join(work, 'generated/demo/Dockerfile'), 'utf8');
    assert.match(dockerfile, /RUN --mount=type=cache,target=\/root\/\.cache\/pip/);
    assert.equal((await sh('docker', ['run', '--rm', docker])).trim(), (await sh('docker', ['run', '--rm', native])).trim());
    assert.equal((await sh('docker', ['run', '--rm', docker])).trim(), '[HELLO FROM DEMO-COMMON!] served by kiln (python 3.11)');
    const [a, b] = [await inspect(native), await inspect(docker)];
    for (const key of ['User', 'Entrypoint', 'Cmd', 'WorkingDir'] as const) assert.deepEqual(b[key], a[key], key);
    assert.deepEqual([...b.Env].sort(), [...a.Env].sort());
    const uid = async (tag: string): Promise<string> => (await sh('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'])).trim();
    assert.equal(await uid(docker), '65532');
    assert.equal(await uid(native), '65532');
    // Same paths, modes and owners everywhere; same content except what names the installer (INSTALLER says pip
    // or kiln, RECORD hashes it, console-script launchers differ) and pyvenv.cfg's `command` line.
    const [dockerFiles, nativeFiles] = [await files(docker, ['/opt/venv', '/app']), await files(native, ['/opt/venv', '/app'])];
    const shape = (lines: string[]): string[] => lines.map((line) => line.split(' ').slice(0, 3).join(' '));
    assert.deepEqual(shape(dockerFiles), shape(nativeFiles));
    const installerSpecific = /(\.dist-info\/(INSTALLER|RECORD)|^\/opt\/venv\/bin\/[^/ ]+|^\/opt\/venv\/pyvenv\.cfg) /;
    const content = (lines: string[]): string[] => lines.filter((line) => !installerSpecific.test(line));
    assert.ok(content(nativeFiles).length >= 15, 'package files and app files are compared by content');
    assert.deepEqual(content(dockerFiles), content(nativeFiles));
    const leftovers = (await sh('docker', ['run', '--rm', '--entrypoint', 'sh', docker, '-c', 'ls -A /root/.cache /kiln 2>/dev/null; echo end'])).trim();
    assert.equal(leftovers, 'end', 'no pip cache and no build inputs in the final image');
  } finally {
    await cleanup([native, docker]);
    await rm(work, { recursive: true, force: true });
  }
});

test('buildah (--isolation chroot) builds the same hello-python entry; it answers like the native image', { timeout: 600_000 }, async (t) => {
  const buildahWorks = await exec('buildah', ['--version']).then(() => true, () => false);
  if (!buildahWorks) {
    if (process.env.KILN_TEST_SERVICES === '1') throw new Error('buildah is not available although the test services were started');
    t.skip('buildah not available (scripts/test-services.sh install)');
    return;
  }
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir();
  const dir = join(work, 'hello');
  await mkdir(dir);
  for (const file of ['kiln.yaml', 'kiln.lock', 'server.py']) await cp(join(repoRoot, 'examples/hello-python', file), join(dir, file)).catch(() => undefined);
  const env = { KILN_CACHE_DIR: join(work, 'cache'), KILN_GENERATED_DIR: join(work, 'generated') };
  const tag = 'kiln-test/hello-buildah:e2e';
  const built = await runKiln(['build', dir, '--backend', 'buildah', '-q', '-o', `docker-archive:${work}/buildah.tar:${tag}`], { env });
  assert.equal(built.code, 0, built.stderr);
  await sh('docker', ['load', '-i', `${work}/buildah.tar`]);
  try {
    const config = await inspect(tag);
    assert.equal(config.User, '65532');
    assert.deepEqual(config.Entrypoint, ['python3', '/app/server.py']);
    const port = await freePort();
    const id = (await sh('docker', ['run', '-d', '--rm', '-p', `127.0.0.1:${port}:8080`, tag])).trim();
    try {
      const body = JSON.parse((await httpGetWithRetry(`http://127.0.0.1:${port}/`)).body) as { message: string; uid: number };
      assert.deepEqual([body.message, body.uid], ['hello from kiln', 65532]);
    } finally {
      await sh('docker', ['rm', '-f', id]).catch(() => undefined);
    }
  } finally {
    await sh('docker', ['rmi', '-f', tag]).catch(() => undefined);
    await exec('buildah', ['rmi', '-f', tag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
