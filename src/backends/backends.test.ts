import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagePlan } from '../plan/index.js';
import { BlobStore } from '../cache/blob-store.js';
import { OutputError, UsageError } from '../errors.js';
import type { BackendContext } from './types.js';
import { buildahBudArgs } from './buildah.js';
import { builderSpec } from './daemon-build.js';
import { dockerBuildArgs, dockerTags } from './docker.js';
import { backends, loadBackend } from './index.js';
import { kaniko, kanikoArgs } from './kaniko.js';
import { writeImage } from '../places/index.js';
import { imageWithLayers } from '../testing/images.js';
import { BUILDER_SLIM } from '../plan/slim-rules.js';

function plan(outputs: string[]): ImagePlan {
  return {
    name: 'demo',
    base: { kind: 'scratch' },
    platform: { os: 'linux', architecture: 'amd64' },
    runtime: {},
    annotations: {},
    created: '1980-01-01T00:00:00Z',
    epoch: 315532800,
    outputs,
  } as ImagePlan;
}

test('every registered backend loads under its own name; an unknown one is a usage error listing them', async () => {
  for (const name of Object.keys(backends)) assert.equal((await loadBackend(name)).name, name);
  await assert.rejects(loadBackend('podman'), /unknown backend "podman": use native, docker, buildah, kaniko/);
});

test('docker and buildah command lines: BuildKit context, tags from the outputs, chroot isolation', () => {
  const outputs = ['oci:/out/layout', 'docker-archive:/out/demo.tar:kiln/demo:1', 'docker://registry.example/demo:1'];
  assert.deepEqual(dockerTags(plan(outputs)), ['kiln/demo:1', 'registry.example/demo:1']);
  assert.deepEqual(dockerTags(plan(['oci:/out/layout'])), ['kiln/demo:latest']);
  assert.deepEqual(dockerBuildArgs(plan(outputs), '/g/demo'), ['build', '-t', 'kiln/demo:1', '-t', 'registry.example/demo:1', '--platform', 'linux/amd64', '-f', '/g/demo/Dockerfile', '/g/demo']);
  assert.deepEqual(buildahBudArgs(plan(outputs), '/g/demo'), ['bud', '--isolation', 'chroot', '--layers', '-t', 'kiln/demo:1', '-t', 'registry.example/demo:1', '--platform', 'linux/amd64', '-f', '/g/demo/Dockerfile', '/g/demo']);
});

test('kaniko: registry outputs are destinations, a local build gets --no-push', () => {
  assert.deepEqual(kanikoArgs(plan(['docker://registry.example/demo:1', 'oci:/out']), '/g/demo'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=registry.example/demo:1', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
  assert.deepEqual(kanikoArgs(plan(['oci:/out']), '/g/demo', '/tmp/x.tar'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=kiln/demo:latest', '--no-push', '--tar-path=/tmp/x.tar', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
});

test('the builder base adds pip and a shell to a distroless base, and is the base itself when it has both', () => {
  const spec = { distro: 'debian' as const, release: 'bookworm', packages: ['python3'], exclude: [], variant: 'distroless' as const, recommends: false, layering: 'grouped' as const, closure: 'runtime' as const, slim: true };
  assert.deepEqual(builderSpec(spec), { ...spec, packages: ['python3', 'python3-pip'], variant: 'slim', closure: 'full', slim: BUILDER_SLIM });
  const ready = { ...spec, packages: ['python3', 'python3-pip'], variant: 'slim' as const };
  assert.equal(builderSpec(ready).packages, ready.packages);
});

function kanikoContext(dir: string, executor: string): BackendContext {
  return {
    store: new BlobStore(join(dir, 'cache')),
    env: { ...process.env, KILN_KANIKO_EXECUTOR: executor },
    log: () => undefined,
    print: () => undefined,
    manifestFile: join(dir, 'kiln.yaml'),
    generatedDir: join(dir, 'generated'),
  } as unknown as BackendContext;
}

test('kaniko without its executor fails in one line and writes nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-kaniko-'));
  const missing = join(dir, 'kaniko', 'executor');
  await assert.rejects(kaniko.build(plan(['oci:/out']), kanikoContext(dir, missing)), (error: Error) =>
    error instanceof UsageError && error.message === `--backend kaniko needs ${missing} (run kiln inside the kaniko image); elsewhere, kiln dockerfile writes the build context for a kaniko pod`);
  assert.deepEqual(await readdir(dir), []);
});

test('kaniko: an executor that exits 0 without writing the image fails the build', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-kaniko-'));
  const executor = join(dir, 'executor');
  await writeFile(executor, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await assert.rejects(kaniko.build(plan([`oci:${join(dir, 'out')}`]), kanikoContext(dir, executor)), (error: Error) =>
    error instanceof OutputError && new RegExp(`^demo: ${executor} exited 0 but wrote no image to `).test(error.message));
  assert.ok(!existsSync(join(dir, 'out')));
});

test('kaniko run by kiln never pushes: a registry output is kiln\'s to publish from the tarball', () => {
  assert.deepEqual(kanikoArgs(plan(['docker://registry.example/demo:1']), '/g/demo', '/tmp/x.tar'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=kiln/demo:latest', '--no-push', '--tar-path=/tmp/x.tar', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
});

test('kaniko: the image the executor writes (--tar-path) comes back as an Image, and nothing else is written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-kaniko-'));
  const store = new BlobStore(join(dir, 'cache'));
  const built = await imageWithLayers(store, { 'app/x': 'built by the executor' });
  await writeImage(`docker-archive:${join(dir, 'made.tar')}:kiln/demo:latest`, built, { store });
  // A stand-in executor: it copies a ready image to wherever --tar-path says.
  const executor = join(dir, 'executor');
  await writeFile(executor, `#!/bin/sh\nfor arg; do case "$arg" in --tar-path=*) cp '${join(dir, 'made.tar')}' "\${arg#--tar-path=}";; esac; done\n`, { mode: 0o755 });
  const result = await kaniko.build(plan(['docker://registry.example/demo:1', `oci:${join(dir, 'out')}`]), kanikoContext(dir, executor));
  assert.deepEqual(await result.image.rawConfig(), await built.rawConfig());
  assert.equal(result.report.digest, await result.image.digest());
  assert.deepEqual(result.report.outputs, []);
  assert.ok(result.commandLine?.includes('--no-push'));
  assert.ok(!existsSync(join(dir, 'out')), 'the backend writes no output');
});
