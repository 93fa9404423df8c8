import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BuildPlan } from '../plan/types.js';
import { testImagePlan } from '../testing/plans.js';
import { mapPlanPaths, planPaths } from './paths.js';

function absolutePlan(): BuildPlan {
  const python = {
    project: '/src/p/server', lock: '/src/p/server/poetry.lock', groups: ['main'], extras: [], prefix: '/opt/venv',
    extraIndexUrls: [], findLinks: ['/src/p/wheels', 'https://example.org/wheels/'], split: [], allowUnhashed: false, installProject: true,
  };
  return {
    manifestFile: '/src/p/kiln.yaml',
    sources: [{ name: 'up', git: 'https://example.org/up.git', ref: 'main', commit: 'a'.repeat(40), paths: [], patches: [], dir: '/cache/sources/up' }],
    notices: [],
    images: [testImagePlan({
      app: { dir: '/src/p/app', dest: '/app' },
      python,
      scan: { severity: ['CRITICAL'], ignoreUnfixed: false, ignorefile: '/src/p/.trivyignore.yaml' },
      outputs: ['oci:/src/p/out:demo'],
      pinned: {
        base: { kind: 'registry', reference: 'docker://r.example/base:1@sha256:' + 'b'.repeat(64), digest: 'sha256:' + 'b'.repeat(64) },
        app: { dir: '/src/p/app', dest: '/app', digest: 'sha256:' + 'c'.repeat(64) },
        python: {
          target: { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'layers' },
          lock: { path: '/src/p/server/poetry.lock', sha256: 'd'.repeat(64) },
          findLinks: ['file:///src/p/wheels', 'https://example.org/wheels/'],
          indexUrls: ['https://pypi.org/simple/'],
          packages: [
            { name: 'common', version: '1', kind: 'path', filename: 'common-1-py3-none-any.whl', layer: 'python path deps', source: { dir: '/src/p/common', digest: 'sha256:' + 'e'.repeat(64) } },
            { name: 'local', version: '1', kind: 'url', filename: 'local-1-py3-none-any.whl', layer: 'python dependencies', url: 'file:///src/p/vendor/local-1-py3-none-any.whl' },
            { name: 'remote', version: '1', kind: 'index', filename: 'remote-1-py3-none-any.whl', layer: 'python dependencies', url: 'https://files.example/remote-1-py3-none-any.whl' },
          ],
        },
      },
    })],
  } as BuildPlan;
}

test('planPaths lists every host path an entry reads, and no URL or output', () => {
  assert.deepEqual(planPaths(absolutePlan()).sort(), [
    '/cache/sources/up', '/src/p/.trivyignore.yaml', '/src/p/app', '/src/p/common', '/src/p/kiln.yaml', '/src/p/server',
    '/src/p/server/poetry.lock', '/src/p/vendor/local-1-py3-none-any.whl', '/src/p/wheels',
  ]);
});

test('mapPlanPaths rewrites every input path and nothing else; mapping back restores the plan', () => {
  const plan = absolutePlan();
  const relative = mapPlanPaths(plan, (path) => path.replace(/^\/src\/p/, 'tree').replace(/^\/cache/, 'cache'));
  const entry = relative.images[0]!;
  assert.equal(relative.manifestFile, 'tree/kiln.yaml');
  assert.equal(relative.sources![0]!.dir, 'cache/sources/up');
  assert.equal(entry.app!.dir, 'tree/app');
  assert.deepEqual(entry.python!.findLinks, ['tree/wheels', 'https://example.org/wheels/']);
  assert.deepEqual(entry.pinned!.python!.findLinks, ['file:tree/wheels', 'https://example.org/wheels/']);
  assert.equal(entry.pinned!.python!.packages[1]!.url, 'file:tree/vendor/local-1-py3-none-any.whl');
  assert.equal(entry.pinned!.python!.packages[0]!.source!.dir, 'tree/common');
  assert.equal(entry.pinned!.python!.packages[2]!.url, 'https://files.example/remote-1-py3-none-any.whl');
  assert.deepEqual(entry.outputs, ['oci:/src/p/out:demo'], 'outputs are not inputs');
  assert.equal(entry.pinned!.base.kind === 'registry' && entry.pinned!.base.reference, plan.images[0]!.pinned!.base.kind === 'registry' && plan.images[0]!.pinned!.base.reference);
  const back = mapPlanPaths(relative, (path) => path.replace(/^tree/, '/src/p').replace(/^cache/, '/cache'));
  assert.deepEqual(back, plan);
});
