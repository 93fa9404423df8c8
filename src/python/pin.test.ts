import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { PythonPlan, PythonTarget } from '../plan/types.js';
import { tempDir, tempStore } from '../testing/images.js';
import { copyPythonProject } from '../testing/python-project.js';
import { writeDockerContext } from '../dockerfile/context.js';
import { testImagePlan } from '../testing/plans.js';
import { pinPython } from './pin.js';

const TARGET: PythonTarget = { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'layers' };
const AMD64 = { architecture: 'amd64' };

function pythonPlan(dir: string, overrides: Partial<PythonPlan> = {}): PythonPlan {
  return { project: join(dir, 'demo-server'), groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [join(dir, 'wheels')], split: [], allowUnhashed: false, installProject: true, ...overrides };
}

async function pinFixture(edit: (common: string) => Promise<void>): Promise<unknown> {
  const { dir } = await copyPythonProject(await tempDir());
  await edit(join(dir, 'demo-common'));
  return pinPython(pythonPlan(dir), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: 315532800 }).then(() => undefined, (error: unknown) => error);
}

test('a path dependency with incomplete sources fails as an input error naming the dependency being built', async () => {
  const missingPyproject = await pinFixture((common) => rm(join(common, 'pyproject.toml')));
  assert.ok(missingPyproject instanceof InputError);
  assert.match(missingPyproject.oneLine(), /^path dependency demo-common: project \/.*\/demo-common: no pyproject\.toml; kiln builds pyproject-based pure-Python projects only$/);

  const missingPackage = await pinFixture((common) => rm(join(common, 'demo_common'), { recursive: true }));
  assert.ok(missingPackage instanceof InputError);
  assert.match(missingPackage.oneLine(), /^path dependency demo-common: project \/.*\/demo-common: "demo_common" does not exist$/);

  // A file the metadata names but the folder lacks was a bare ENOENT, reported like a failure of kiln itself.
  const missingReadme = await pinFixture(async (common) => {
    const pyproject = join(common, 'pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('packages =', 'readme = "README.md"\npackages ='));
  });
  assert.ok(missingReadme instanceof InputError, String(missingReadme));
  assert.match(missingReadme.oneLine(), /^path dependency demo-common: project \/.*\/demo-common: ENOENT: no such file or directory, open '.*\/demo-common\/README\.md'$/);
});

test('writing a Dockerfile context for a path dependency broken after planning is an input error, not an output error', async () => {
  const { dir } = await copyPythonProject(await tempDir());
  const plan = testImagePlan({ python: pythonPlan(dir) });
  const python = await pinPython(plan.python!, TARGET, AMD64, { store: await tempStore(), env: {}, epoch: plan.epoch });
  await rm(join(dir, 'demo-common/demo_common'), { recursive: true });
  // No store: the context builds the wheels again from their sources.
  await assert.rejects(writeDockerContext({ ...plan, pinned: { base: { kind: 'scratch' }, python } }, join(dir, 'generated'), { manifestDir: dir, syntax: null, builderImage: 'builder' }), (error: unknown) =>
    error instanceof InputError && /^path dependency demo-common: project \/.*\/demo-common: "demo_common" does not exist$/.test(error.oneLine()));
});
