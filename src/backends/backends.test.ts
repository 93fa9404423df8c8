import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImagePlan } from '../build/plan.js';
import { buildahBudArgs } from './buildah.js';
import { builderSpec } from './daemon-build.js';
import { dockerBuildArgs, dockerTags } from './docker.js';
import { backends, loadBackend } from './index.js';
import { kaniko, kanikoArgs, kanikoPodSpec } from './kaniko.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { writeImage } from '../places/index.js';
import { imageWithLayers, tempDir } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';

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

test('kaniko: registry outputs are destinations, a local build gets --no-push; the pod spec carries the same args', () => {
  assert.deepEqual(kanikoArgs(plan(['docker://registry.example/demo:1', 'oci:/out']), '/g/demo'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=registry.example/demo:1', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
  assert.deepEqual(kanikoArgs(plan(['oci:/out']), '/g/demo', '/tmp/x.tar'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=kiln/demo:latest', '--no-push', '--tar-path=/tmp/x.tar', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
  const pod = kanikoPodSpec(plan(['docker://registry.example/demo:1']), '/g/demo');
  assert.match(pod, /^apiVersion: v1\nkind: Pod\n/);
  assert.match(pod, /image: gcr\.io\/kaniko-project\/executor:latest\n {6}args:\n {8}- "--context=dir:\/\/\/g\/demo"\n {8}- "--dockerfile=\/g\/demo\/Dockerfile"\n {8}- "--destination=registry\.example\/demo:1"/);
  assert.match(pod, /mountPath: \/g\/demo\n/);
});

test('the builder base adds pip and a shell to a distroless base, and is the base itself when it has both', () => {
  const spec = { distro: 'debian' as const, release: 'bookworm', packages: ['python3'], exclude: [], variant: 'distroless' as const, recommends: false, layering: 'grouped' as const };
  assert.deepEqual(builderSpec(spec), { ...spec, packages: ['python3', 'python3-pip'], variant: 'slim' });
  const ready = { ...spec, packages: ['python3', 'python3-pip'], variant: 'slim' as const };
  assert.equal(builderSpec(ready).packages, ready.packages);
});

test('kaniko run by kiln never pushes: a registry output is kiln\'s to publish from the tarball', () => {
  assert.deepEqual(kanikoArgs(plan(['docker://registry.example/demo:1']), '/g/demo', '/tmp/x.tar'), [
    '--context=dir:///g/demo', '--dockerfile=/g/demo/Dockerfile', '--destination=kiln/demo:latest', '--no-push', '--tar-path=/tmp/x.tar', '--cache=true', '--snapshot-mode=redo', '--reproducible',
  ]);
});

test('kaniko: no executor, or one that writes no image, fails in one line; an image it writes comes back as an Image', async () => {
  const work = await tempDir();
  const store = new BlobStore(join(work, 'cache'));
  const built = await imageWithLayers(store, { 'app/x': 'built by the executor' });
  await writeImage(`docker-archive:${join(work, 'made.tar')}:kiln/demo:latest`, built, { store });
  const printed: string[] = [];
  const context = (executor: string) => ({
    store, env: { KILN_KANIKO_EXECUTOR: executor }, log: () => undefined, print: (text: string) => printed.push(text),
    manifestFile: join(work, 'kiln.yaml'), generatedDir: join(work, 'generated'),
  });
  const entry = testImagePlan({ outputs: ['docker://registry.example/demo:1'] });
  const fake = async (name: string, body: string): Promise<string> => {
    const path = join(work, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };

  await assert.rejects(kaniko.build(entry, context(join(work, 'missing'))), (error: Error) => {
    assert.equal(error.message, `demo: no kaniko executor at ${join(work, 'missing')}, so nothing was built: run the pod spec above, or kiln inside the kaniko image (KILN_KANIKO_EXECUTOR names another path)`);
    return true;
  });
  assert.match(printed.join(''), /--destination=registry\.example\/demo:1/, 'the pod spec for the cluster is still printed');

  await assert.rejects(kaniko.build(entry, context(await fake('idle', 'exit 0'))), /^OutputError: demo: .*idle exited 0 but wrote no image at /);

  // The executor's tarball (--tar-path) is read back; its image is what the backend returns.
  const copier = await fake('copier', `for arg; do case "$arg" in --tar-path=*) cp '${join(work, 'made.tar')}' "\${arg#--tar-path=}";; esac; done`);
  const result = await kaniko.build(entry, context(copier));
  assert.deepEqual(await result.image.rawConfig(), await built.rawConfig());
  assert.equal(result.report.digest, await result.image.digest());
  assert.deepEqual(result.report.outputs, []);
  assert.ok(result.commandLine?.includes('--no-push'));
});
