import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolutionError } from '../../errors.js';
import { parsePyProject } from '../pyproject.js';
import { targetEnvironment } from '../target.js';
import type { LockedPackage, PythonLock } from '../types.js';
import { selectPackages } from './select.js';
import { uv } from './uv/index.js';

const amd64 = targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' });

function locked(name: string, version: string, dependencies: LockedPackage['dependencies'] = []): LockedPackage {
  return { name, version, source: { kind: 'index' }, files: [{ filename: `${name}-${version}-py3-none-any.whl`, hashes: { sha256: 'a'.repeat(64) } }], dependencies };
}

// A plugin-style project whose extras and dev group name the project itself, as monorepos write them.
const pyproject = parsePyProject(`[project]
name = "model-runtime"
version = "1.0.0"
dependencies = ["fastapi>=0.110"]
[project.optional-dependencies]
gpu = ["torch>=2"]
cli = ["click>=8"]
all = ["model-runtime[gpu,cli]"]
[dependency-groups]
dev = ["model-runtime[cli]", "pytest>=8"]
`, 'pyproject.toml');

const lock: PythonLock = {
  format: 'poetry',
  path: '/project/poetry.lock',
  project: { name: 'model-runtime', version: '1.0.0' },
  extras: pyproject.extras,
  groups: pyproject.groups,
  roots: pyproject.roots,
  packages: [
    locked('fastapi', '0.110.0', [{ name: 'starlette', extras: [], specifier: '>=0.36' }]),
    locked('starlette', '0.36.3'),
    locked('torch', '2.2.1'),
    locked('click', '8.1.7'),
    locked('pytest', '8.0.2'),
  ],
  indexes: [],
  findLinks: [],
};

const names = (options: Parameters<typeof selectPackages>[2]): string[] => selectPackages(lock, amd64, options).map((pkg) => pkg.name);

test('an extra that names the project itself brings in the project\'s other extras, not "not in the lock"', () => {
  assert.deepEqual(names({ extras: ['all'] }), ['click', 'fastapi', 'starlette', 'torch']);
  assert.deepEqual(names({ extras: ['gpu'] }), ['fastapi', 'starlette', 'torch']);
  assert.deepEqual(names({}), ['fastapi', 'starlette']);
});

test('a dependency group that needs the project installs the project\'s requirements with the extras it names', () => {
  assert.deepEqual(names({ groups: ['dev'] }), ['click', 'fastapi', 'pytest', 'starlette']);
  assert.deepEqual(names({ groups: ['main', 'dev'] }), ['click', 'fastapi', 'pytest', 'starlette']);
});

test('a self-reference to an extra the project does not offer fails naming it', () => {
  const broken: PythonLock = { ...lock, roots: [...lock.roots, { name: 'model-runtime', extras: ['tpu'], specifier: '', group: 'dev' }] };
  assert.throws(() => selectPackages(broken, amd64, { groups: ['dev'] }), (error: unknown) =>
    error instanceof ResolutionError && error.message === '/project/poetry.lock: the project needs model-runtime[tpu], but the project offers no extra tpu');
});

test('uv.lock: a dev group naming the project with an extra (uv drops the root from the packages)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-self-'));
  const hash = (c: string) => c.repeat(64);
  writeFileSync(join(dir, 'uv.lock'), `version = 1
requires-python = ">=3.11"

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/click-8.1.7-py3-none-any.whl", hash = "sha256:${hash('c')}" }]

[[package]]
name = "model-runtime"
version = "1.0.0"
source = { editable = "." }

[package.optional-dependencies]
cli = [{ name = "click" }]

[package.dev-dependencies]
dev = [{ name = "model-runtime", extra = ["cli"] }]
`);
  const read = await uv.read(join(dir, 'uv.lock'));
  assert.deepEqual(selectPackages(read, amd64, { groups: ['dev'] }).map((pkg) => pkg.name), ['click']);
});
