// Issue 6: BentoML's old docker/manifest.yml (registries with only_if, cuda_dependencies, release_spec,
// packages x releases) translated into examples/bentoml-manifest/kiln.yaml; `kiln plan --no-resolve` lists its images
// (its bases live on Docker Hub, which a resolving plan would contact). A plan that pins nothing cannot be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln, repoRoot } from '../../src/testing/cli.js';
import { tempDir } from '../../src/testing/images.js';

interface PlanJson {
  images: Array<{ name: string; tags: string[]; base: { kind: string; place?: string }; runtime: { Env: string[] }; destinations: Array<{ registry: string; references: string[]; skipped?: string }> }>;
  notices: string[];
}

const example = join(repoRoot, 'examples/bentoml-manifest');

test('the BentoML manifest translation plans the 26 images manifest.yml described', async () => {
  const result = await runKiln(['plan', example, '--json', '--no-resolve'], { env: { HUB_PASSWORD: '', GCR_PASSWORD: '' } });
  assert.equal(result.code, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as PlanJson;
  const byName = new Map(plan.images.map((image) => [image.name, image]));
  // packages.model-server: runtime on 4 distros, devel and cudnn on debian and centos; 3 Pythons each.
  const expected = [
    ...['runtime', 'devel', 'cudnn'].flatMap((kind) => ['debian10', 'centos7', 'amazonlinux2', 'alpine3.14']
      .filter((distro) => kind === 'runtime' || distro === 'debian10' || distro === 'centos7')
      .flatMap((distro) => ['3.6', '3.7', '3.8'].map((python) => `model-server/${kind}-${distro}-py${python}`))),
    'yatai-service/debian10-3.8', 'yatai-service/centos7-3.8',
  ];
  assert.deepEqual(plan.images.map((image) => image.name), expected);
  assert.deepEqual(byName.get('model-server/runtime-debian10-py3.8')!.tags, ['0.13.1-python3.8-slim-runtime']);
  assert.deepEqual(byName.get('model-server/runtime-debian10-py3.8')!.base, { kind: 'place', place: 'docker://debian:buster-slim' });
  assert.deepEqual(byName.get('model-server/devel-centos7-py3.6')!.tags, ['devel-python3.6-centos7']);
  const cudnn = byName.get('model-server/cudnn-centos7-py3.7')!;
  assert.deepEqual(cudnn.base, { kind: 'place', place: 'docker://nvidia/cuda:11.3.1-cudnn8-runtime-centos7' });
  assert.ok(cudnn.runtime.Env.includes('NVIDIA_REQUIRE_CUDA=cuda>=11.3 brand=tesla,driver>=418,driver<419 brand=tesla,driver>=440,driver<441 driver>=450'));
  assert.ok(cudnn.runtime.Env.includes('PYTHON_VERSION=3.7'));
  // repository.only_if: without the password variables both registries are skipped, with a notice.
  assert.deepEqual(plan.notices, ['registry "docker.io" skipped: $HUB_PASSWORD is not set', 'registry "gcr.io" skipped: $GCR_PASSWORD is not set']);
  assert.deepEqual(cudnn.destinations.map((d) => d.references[0]), ['docker://docker.io/bentoml/model-server:0.13.1-python3.7-centos7-cudnn', 'docker://gcr.io/bentoml/model-server:0.13.1-python3.7-centos7-cudnn']);

  const withHub = await runKiln(['plan', example, '--json', '--no-resolve', '--only', 'yatai-service'], { env: { HUB_USERNAME: 'bento', HUB_PASSWORD: 'secret-value', GCR_PASSWORD: '' } });
  assert.equal(withHub.code, 0, withHub.stderr);
  const yatai = JSON.parse(withHub.stdout) as PlanJson;
  assert.deepEqual(yatai.images.map((image) => image.destinations.map((d) => [d.registry, d.skipped ?? 'pushed'])), [
    [['docker.io', 'pushed'], ['gcr.io', '$GCR_PASSWORD is not set']],
    [['docker.io', 'pushed'], ['gcr.io', '$GCR_PASSWORD is not set']],
  ]);
  assert.ok(!withHub.stdout.includes('secret-value'), 'secrets never appear in the plan');

  const file = join(await tempDir(), 'plan.json');
  await writeFile(file, withHub.stdout);
  const refused = await runKiln(['build', '--plan', file, '-q']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^kiln: \S+plan\.json: entry "yatai-service\/debian10-3\.8" pins nothing \(written by kiln plan --no-resolve\?\)/);
});
