// Issue 14: the build context as an OCI artifact. A python project (path dependency, find_links wheels, the project
// itself, an app folder) is pushed as a context to a real registry and built from it in another folder, with the
// original gone and a fresh cache, to the digest a local build gives. Edits after planning and tags are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { tempDir, tempStore, imageWithLayers } from '../../src/testing/images.js';
import { copyPythonProject } from '../../src/testing/python-project.js';
import { startRegistry } from '../../src/testing/registry.js';
import { writeImage } from '../../src/places/index.js';
import { CONTEXT_ARTIFACT_TYPE, PLAN_MEDIA_TYPE } from '../../src/context/index.js';
import { PYTHON_BASE_FILES } from '../corpus/shared.js';

interface BuildJson {
  images: Array<{ name: string; digest: string }>;
}

interface PushJson {
  reference: string;
  digest: string;
  entries: string[];
  files: number;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

async function fetchJson(url: string, accept: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: { accept } });
  assert.equal(response.status, 200, url);
  return await response.json() as Record<string, unknown>;
}

test('a context pushed to a registry builds elsewhere to the local digest; edits after planning and tags are refused', { timeout: 600_000 }, async (t) => {
  const registry = await startRegistry();
  const work = await tempDir();
  try {
    const store = await tempStore();
    await writeImage(`docker://${registry.host}/base/python:3.11`, await imageWithLayers(store, PYTHON_BASE_FILES), { store });
    const project = join(work, 'project');
    await copyPythonProject(project);
    await writeFile(join(project, 'app/.dockerignore'), 'scratch.txt\n.dockerignore\n');
    await writeFile(join(project, 'app/scratch.txt'), 'not copied\n');
    await writeFile(join(project, 'kiln.yaml'), [
      'images:',
      '  demo:',
      `    base: docker://${registry.host}/base/python:3.11`,
      '    app: {src: app, dest: /app}',
      '    entrypoint: [demo-server]',
      '    python: {project: demo-server, find_links: [wheels]}',
      '    tags: [v1]',
      `registries: {local: {repository: "${registry.host}/apps", insecure: true}}`,
      '',
    ].join('\n'));
    const env = { KILN_CACHE_DIR: join(work, 'cache') };

    const local = await runKiln(['build', project, '-o', `oci:${work}/local:demo`, '--json'], { env });
    assert.equal(local.code, 0, local.stderr);
    const localDigest = (JSON.parse(local.stdout) as BuildJson).images[0]!.digest;

    const pushed = await runKiln(['context', 'push', project, `${registry.host}/contexts/demo:v1`, '--json'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const context = JSON.parse(pushed.stdout) as PushJson;
    assert.match(context.reference, new RegExp(`^${registry.host}/contexts/demo:v1@sha256:[0-9a-f]{64}$`));
    assert.deepEqual(context.entries, ['demo']);
    t.diagnostic(`context: ${context.files} files`);

    // The artifact is what the issue names: artifactType, the plan blob, one tar+gzip of files.
    const manifest = await fetchJson(`http://${registry.host}/v2/contexts/demo/manifests/${context.digest}`, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.artifactType, CONTEXT_ARTIFACT_TYPE);
    const layers = manifest.layers as Array<{ mediaType: string; digest: string }>;
    assert.deepEqual(layers.map((layer) => layer.mediaType), [PLAN_MEDIA_TYPE, 'application/vnd.oci.image.layer.v1.tar+gzip']);
    const planText = await (await fetch(`http://${registry.host}/v2/contexts/demo/blobs/${layers[0]!.digest}`)).text();
    assert.doesNotMatch(planText, new RegExp(work), 'the context plan names no path on the packer\'s disk');

    // The same inputs push the same digest (by digest alone, too).
    const again = await runKiln(['context', 'push', project, `${registry.host}/contexts/demo`], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), `${registry.host}/contexts/demo@${context.digest}`);

    // Elsewhere: the project folder is gone, the cache is empty, and the build gives the local build's digest.
    await rename(project, join(work, 'moved'));
    const elsewhere = join(work, 'elsewhere');
    await mkdir(elsewhere);
    const remote = await runKiln(['build', '--context', context.reference, '--only', 'demo', '-o', 'oci:out:{name}', '--json'], { cwd: elsewhere, env: { KILN_CACHE_DIR: join(work, 'pod-cache') } });
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal((JSON.parse(remote.stdout) as BuildJson).images[0]!.digest, localDigest);
    await readFile(join(elsewhere, 'out/index.json'));
    // A second build from the same context reuses its unpacked copy.
    const warm = await runKiln(['build', '--context', context.reference, '-o', `oci:${work}/warm:demo`, '--json'], { cwd: elsewhere, env: { KILN_CACHE_DIR: join(work, 'pod-cache') } });
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal((JSON.parse(warm.stdout) as BuildJson).images[0]!.digest, localDigest);

    // The cluster's two steps: each pod pushes its entry by digest, then one step tags them all from the same context.
    const podEnv = { KILN_CACHE_DIR: join(work, 'pod-cache') };
    const byDigest = await runKiln(['build', '--context', context.reference, '--only', 'demo', '--push-by-digest'], { cwd: elsewhere, env: podEnv });
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.equal(byDigest.stdout.trim(), `demo@${localDigest}`);
    const before = await (await fetch(`http://${registry.host}/v2/apps/demo/tags/list`)).json() as { tags: string[] | null };
    // (The SBOM's referrers fallback tag may be there: it names no image.)
    assert.ok(!(before.tags ?? []).includes('v1'), 'no tag before kiln tag');
    const tagged = await runKiln(['tag', '--context', context.reference, '--built', byDigest.stdout.trim()], { cwd: elsewhere, env: podEnv });
    assert.equal(tagged.code, 0, tagged.stderr);
    const head = await fetch(`http://${registry.host}/v2/apps/demo/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(head.headers.get('docker-content-digest'), localDigest);

    // A tag alone is refused: it can move.
    const tagOnly = await runKiln(['build', '--context', `${registry.host}/contexts/demo:v1`, '-o', `oci:${work}/tag`], { env });
    assert.equal(tagOnly.code, 2);
    assert.match(lastLine(tagOnly.stderr), /^kiln: --context .*: name the context by digest \(REF@sha256:\.\.\.\)/);

    // Edited after planning: each kind of input is refused in one line, and nothing is pushed.
    await rename(join(work, 'moved'), project);
    const planFile = join(work, 'plan.json');
    const planned = await runKiln(['plan', project, '--locked', '--json'], { env });
    assert.equal(planned.code, 0, planned.stderr);
    await writeFile(planFile, planned.stdout);
    const edits: Array<[string, (text: string) => string, RegExp]> = [
      ['app/message.txt', (text) => `${text}edited\n`, /demo: app folder .*\/app changed since it was planned/],
      ['demo-common/demo_common/__init__.py', (text) => `${text}# edited\n`, /demo: path dependency demo-common .* changed since it was planned/],
      ['demo-server/poetry.lock', (text) => `${text}\n`, /demo: lock .*poetry\.lock changed since it was planned/],
      ['wheels/tinyformat-1.2.0-py3-none-any.whl', (text) => `${text}x`, /demo: wheel .*tinyformat-1\.2\.0-py3-none-any\.whl changed since it was planned/],
    ];
    for (const [file, edit, message] of edits) {
      const path = join(project, file);
      const original = await readFile(path);
      await writeFile(path, edit(original.toString('latin1')), 'latin1');
      const refused = await runKiln(['context', 'push', '--plan', planFile, `${registry.host}/contexts/tampered:v1`], { env });
      await writeFile(path, original);
      assert.equal(refused.code, 1, `${file}: ${refused.stderr}`);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      assert.match(refused.stderr.trim(), message);
    }
    const tags = await fetch(`http://${registry.host}/v2/contexts/tampered/tags/list`);
    assert.equal(tags.status, 404, 'nothing was pushed for a tampered context');
    // Unedited, the same plan file pushes the same context.
    const fromPlan = await runKiln(['context', 'push', '--plan', planFile, `${registry.host}/contexts/demo:v1`], { env });
    assert.equal(fromPlan.code, 0, fromPlan.stderr);
    assert.equal(fromPlan.stdout.trim(), context.reference);
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
});

test('a multi-platform entry packs into a context (each platform\'s pins) and builds elsewhere to the local index digest', { timeout: 300_000 }, async () => {
  const registry = await startRegistry();
  const work = await tempDir();
  try {
    const project = join(work, 'project');
    await mkdir(join(project, 'app'), { recursive: true });
    await writeFile(join(project, 'app/run.sh'), '#!/bin/sh\necho multi\n');
    await writeFile(join(project, 'kiln.yaml'), 'images:\n  multi:\n    base: scratch\n    app: {src: app, dest: /app}\n    platform: [linux/amd64, linux/arm64]\n    entrypoint: [/app/run.sh]\n');
    const env = { KILN_CACHE_DIR: join(work, 'cache') };
    const local = await runKiln(['build', project, '-o', `oci:${work}/local:multi`, '--json'], { env });
    assert.equal(local.code, 0, local.stderr);
    const localDigest = (JSON.parse(local.stdout) as BuildJson).images[0]!.digest;
    const pushed = await runKiln(['context', 'push', project, `${registry.host}/contexts/multi`, '--json'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    const context = JSON.parse(pushed.stdout) as PushJson;
    assert.deepEqual(context.entries, ['multi']);
    await rename(project, join(work, 'moved'));
    const elsewhere = join(work, 'elsewhere');
    await mkdir(elsewhere);
    const remote = await runKiln(['build', '--context', context.reference, '-o', 'oci:out:{name}', '--json'], { cwd: elsewhere, env: { KILN_CACHE_DIR: join(work, 'pod-cache') } });
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal((JSON.parse(remote.stdout) as BuildJson).images[0]!.digest, localDigest, 'the same index, both platforms');
    const index = JSON.parse(await readFile(join(elsewhere, 'out/index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string }> };
    assert.ok(index.manifests.some((m) => m.digest === localDigest && m.mediaType === 'application/vnd.oci.image.index.v1+json'));
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
});
