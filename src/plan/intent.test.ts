import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planBuild } from './intent.js';
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
