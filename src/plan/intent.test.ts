import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planBuild } from './intent.js';
import { platformEntries } from './platforms.js';
import { tempDir } from '../testing/images.js';

async function plan(yaml: string, outputs?: string[]) {
  const dir = await tempDir();
  await writeFile(join(dir, 'kiln.yaml'), yaml);
  return { dir, plan: await planBuild({ manifestFile: join(dir, 'kiln.yaml'), outputs, cwd: dir, env: { SOURCE_DATE_EPOCH: '0' } }) };
}

test('each image keeps its own outputs; only shared outputs must tell images apart', async () => {
  const { dir, plan: own } = await plan([
    'images:',
    '  a: { base: scratch, outputs: ["docker-archive:a.tar"] }',
    '  b: { base: scratch, outputs: ["docker-archive:b.tar"] }',
    '',
  ].join('\n'));
  assert.deepEqual(own.images.map((image) => image.outputs), [[`docker-archive:${dir}/a.tar`], [`docker-archive:${dir}/b.tar`]]);

  const { dir: shared, plan: layout } = await plan('images:\n  a: { base: scratch }\n  b: { base: scratch }\n', ['oci:out']);
  assert.deepEqual(layout.images.map((image) => image.outputs), [[`oci:${shared}/out:a`], [`oci:${shared}/out:b`]], 'one layout, tagged by image name');
  await assert.rejects(plan('images:\n  a: { base: scratch }\n  b: { base: scratch }\n', ['docker-archive:x.tar']), /output "docker-archive:x.tar" would receive 2 images: add \{name\} to it/);
});

test('the plan is plain data: created comes from SOURCE_DATE_EPOCH, user defaults to 65532', async () => {
  const { plan: result } = await plan('images:\n  a: { base: scratch, entrypoint: [/bin/a], ports: [8080] }\n', ['oci:out']);
  const image = result.images[0]!;
  assert.equal(image.created, '1970-01-01T00:00:00Z');
  assert.equal(image.runtime.User, '65532');
  assert.deepEqual(image.runtime.ExposedPorts, { '8080/tcp': {} });
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'survives a JSON round trip');
});

test('a list of platforms makes a multi-platform entry (one pins slot each); a list of one is that platform', async () => {
  const { plan: multi } = await plan('images:\n  a: { base: scratch, platform: [linux/amd64, linux/arm64] }\n', ['oci:out']);
  const image = multi.images[0]!;
  assert.deepEqual(image.platform, { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(image.platforms, [{ platform: { os: 'linux', architecture: 'amd64' } }, { platform: { os: 'linux', architecture: 'arm64' } }]);
  assert.deepEqual(platformEntries({ ...image, platforms: [{ platform: image.platforms![0]!.platform, pinned: { base: { kind: 'scratch' } } }, image.platforms![1]!] })
    .map((entry) => [entry.platform.architecture, entry.pinned?.base.kind, 'platforms' in entry]), [['amd64', 'scratch', false], ['arm64', undefined, false]]);
  const { plan: one } = await plan('images:\n  a: { base: scratch, platform: [linux/arm64] }\n', ['oci:out']);
  assert.deepEqual([one.images[0]!.platform, one.images[0]!.platforms], [{ os: 'linux', architecture: 'arm64' }, undefined]);
  await assert.rejects(plan('images:\n  a: { base: scratch, platform: [linux/arm64, linux/arm64] }\n', ['oci:out']), /a platform is listed twice/);
  await assert.rejects(plan('images:\n  a: { base: scratch, platform: [linux/sparc] }\n', ['oci:out']), /is not a platform/);
});

test('platform as a matrix axis: one entry per value, and an override may give an entry a list', async () => {
  const { plan: result } = await plan([
    'images:',
    '  a:',
    '    base: scratch',
    '    matrix: { arch: [amd64, arm64, multi] }',
    '    platform: "linux/{arch}"',
    '    overrides:',
    '      - when: { arch: multi }',
    '        set: { platform: [linux/amd64, linux/arm64] }',
    '',
  ].join('\n'), ['oci:out']);
  assert.deepEqual(result.images.map((image) => [image.name, image.platform.architecture, image.platforms?.length ?? 1]), [['a/amd64', 'amd64', 1], ['a/arm64', 'arm64', 1], ['a/multi', 'amd64', 2]]);
});
