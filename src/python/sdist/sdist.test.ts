import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError, UsageError } from '../../errors.js';
import type { PythonPlan, PythonTarget } from '../../plan/types.js';
import { tempDir, tempStore } from '../../testing/images.js';
import { buildSdist, COMPILED_SDIST as COMPILED, writeSdist, writeUvProject, type SdistSpec } from '../../testing/sdists.js';
import { testImagePlan } from '../../testing/plans.js';
import { pythonLayers } from '../image-layers.js';
import { pinPython } from '../pin.js';

const TARGET: PythonTarget = { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'layers' };
const AMD64 = { architecture: 'amd64' };
const EPOCH = 315532800;

const PURE: SdistSpec = {
  name: 'tiny-pure',
  version: '1.0',
  files: {
    'pyproject.toml': `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tiny-pure"
version = "1.0"
description = "A pure-Python package shipped only as an sdist"
requires-python = ">=3.9"
dependencies = ["tinyformat>=1.0"]

[project.optional-dependencies]
fast = ["colorlite>=2"]

[project.scripts]
tiny-pure = "tiny_pure:main"
`,
    'setup.cfg': '[egg_info]\ntag_build = \ntag_date = 0\n\n',
    'src/tiny_pure/__init__.py': 'VALUE = 42\n\n\ndef main():\n    print("tiny-pure ran")\n',
    'src/tiny_pure/util.py': 'def helper():\n    return 1\n',
    'src/tiny_pure.egg-info/PKG-INFO': 'Metadata-Version: 2.1\nName: tiny-pure\nVersion: 1.0\n',
    'src/tiny_pure.egg-info/top_level.txt': 'tiny_pure\n',
  },
};

const POETRY: SdistSpec = {
  name: 'tiny-poetry',
  version: '0.2.0',
  files: {
    'pyproject.toml': `[tool.poetry]
name = "tiny-poetry"
version = "0.2.0"
description = "A poetry-core package shipped only as an sdist"
authors = ["Ada <ada@example.com>"]

[tool.poetry.dependencies]
python = "^3.9"
tinyformat = "^1.2"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
`,
    'tiny_poetry/__init__.py': 'VALUE = 7\n',
  },
};

function pythonPlan(project: string): PythonPlan {
  return { project, groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [], split: [], allowUnhashed: false, installProject: false };
}

async function sdistProject(specs: SdistSpec[], tamper?: (data: Buffer) => Buffer): Promise<{ project: string; sdists: string }> {
  const dir = await tempDir();
  const sdists = join(dir, 'sdists');
  const written = [];
  for (const spec of specs) {
    const data = await buildSdist(spec);
    const entry = await writeSdist(sdists, spec, data);
    if (tamper) await writeSdist(sdists, spec, tamper(data));
    written.push({ spec, ...entry });
  }
  await writeUvProject(join(dir, 'project'), written);
  return { project: join(dir, 'project'), sdists };
}

// What a wheel holds, in a form both builders must agree on: members, RECORD rows and METADATA fields.
// Requirements and Requires-Python are compared as `packaging` reads them: setuptools writes `name (>=1)`,
// poetry-core `<2.0`, kiln `name>=1` and `<2`; the same specifier to pip. setuptools' top_level.txt (read by
// nothing that installs or imports) is left out.
const DESCRIBE = `
import json, sys, zipfile
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.utils import canonicalize_version
from email.parser import HeaderParser
def spec(s):
    return ','.join(sorted(x.operator + canonicalize_version(x.version) for x in SpecifierSet(s)))
def req(text):
    r = Requirement(text)
    return '%s[%s] %s; %s' % (r.name, ','.join(sorted(r.extras)), spec(str(r.specifier)), r.marker)
z = zipfile.ZipFile(sys.argv[1])
names = sorted(n for n in z.namelist() if not n.endswith('/top_level.txt'))
info = [n for n in names if n.endswith('.dist-info/METADATA')][0].rsplit('/', 1)[0]
record = sorted(l for l in z.read(info + '/RECORD').decode().splitlines() if l and not l.startswith(info + '/'))
meta = HeaderParser().parsestr(z.read(info + '/METADATA').decode())
norm = {'Requires-Dist': req, 'Requires-Python': spec}
fields = {k: sorted(norm.get(k, str)(v) for v in meta.get_all(k) or []) for k in ['Name', 'Version', 'Summary', 'Requires-Python', 'Provides-Extra', 'Requires-Dist']}
wheel = HeaderParser().parsestr(z.read(info + '/WHEEL').decode())
entry_points = z.read(info + '/entry_points.txt').decode().strip() if info + '/entry_points.txt' in names else None
print(json.dumps({'files': names, 'record': record, 'metadata': fields, 'tags': wheel.get_all('Tag'), 'purelib': wheel['Root-Is-Purelib'], 'entry_points': entry_points}))
`;

function describeWheel(path: string): unknown {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', DESCRIBE, path], { encoding: 'utf8' }));
}

const pipWheelSkip = spawnSync('/usr/bin/python3', ['-c', 'import setuptools, wheel, pip, poetry.core']).status === 0 ? false : 'needs Debian\'s python3-pip, python3-setuptools, python3-wheel and poetry-core';

test('a pure-Python sdist (setuptools, poetry-core) built natively equals what pip wheel makes of it: files, RECORD, METADATA', { skip: pipWheelSkip }, async () => {
  const { project, sdists } = await sdistProject([PURE, POETRY]);
  const store = await tempStore();
  const pinned = await pinPython(pythonPlan(project), TARGET, AMD64, { store, env: {}, epoch: EPOCH });
  assert.deepEqual(pinned.packages.map((pkg) => [pkg.name, pkg.filename, pkg.sdist?.build, pkg.sdist?.filename]), [
    ['tiny-poetry', 'tiny_poetry-0.2.0-py3-none-any.whl', 'native', 'tiny_poetry-0.2.0.tar.gz'],
    ['tiny-pure', 'tiny_pure-1.0-py3-none-any.whl', 'native', 'tiny_pure-1.0.tar.gz'],
  ]);
  const pip = join(await tempDir(), 'pip');
  for (const pkg of pinned.packages) {
    execFileSync('/usr/bin/python3', ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir', '-w', pip, join(sdists, pkg.sdist!.filename)], { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', SOURCE_DATE_EPOCH: String(EPOCH) } });
    assert.deepEqual(describeWheel(store.path(`sha256:${pkg.sha256}`)), describeWheel(join(pip, pkg.filename)), `${pkg.name}: kiln's wheel and pip's`);
  }
  assert.deepEqual(readdirSync(pip).sort(), pinned.packages.map((pkg) => pkg.filename).sort());
});

test('sdist wheels are reproducible and remembered by the sdist sha256; applying installs them, rebuilt byte for byte on a fresh cache', async () => {
  const { project, sdists } = await sdistProject([PURE]);
  const store = await tempStore();
  const first = await pinPython(pythonPlan(project), TARGET, AMD64, { store, env: {}, epoch: EPOCH });
  const other = await pinPython(pythonPlan(project), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: EPOCH });
  assert.deepEqual(other.packages, first.packages, 'another cache builds the same wheel bytes');
  const [pkg] = first.packages;
  assert.match(pkg!.sha256!, /^[0-9a-f]{64}$/);
  assert.equal(pkg!.sdist!.sha256.length, 64);

  const plan = testImagePlan({ python: pythonPlan(project) });
  const layers = await pythonLayers({ ...plan, pinned: { base: { kind: 'scratch' }, python: first } }, { store: await tempStore(), env: {}, log: () => undefined });
  assert.deepEqual(layers.map((layer) => layer.history?.comment), ['python venv', 'python dependencies']);
  assert.match(layers[1]!.history!.created_by!, /tiny-pure==1\.0/);

  // Planning again needs neither the sdist nor a build: the cache knows the wheel by the sdist's sha256.
  await rm(sdists, { recursive: true });
  assert.deepEqual((await pinPython(pythonPlan(project), TARGET, AMD64, { store, env: {}, epoch: EPOCH })).packages, first.packages);
});

test('an sdist that needs compiling is refused in one short line unless the builder is allowed', async () => {
  const { project } = await sdistProject([COMPILED]);
  await assert.rejects(pinPython(pythonPlan(project), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: EPOCH }), (error: unknown) =>
    error instanceof UsageError && error.oneLine() === 'tiny-ext 0.1 has only an sdist (tiny_ext-0.1.tar.gz); it needs compiling: allow python.build_sdists: builder');
  // A pure project kiln cannot read natively (dynamic metadata) says why, in one line too.
  const dynamic: SdistSpec = { name: 'tiny-dyn', version: '2.0', files: { 'pyproject.toml': '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n[project]\nname = "tiny-dyn"\ndynamic = ["version"]\n', 'tiny_dyn/__init__.py': '' } };
  const second = await sdistProject([dynamic]);
  await assert.rejects(pinPython(pythonPlan(second.project), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: EPOCH }), (error: unknown) =>
    error instanceof UsageError && error.oneLine() === 'tiny-dyn 2.0 has only an sdist (tiny_dyn-2.0.tar.gz); kiln cannot build it natively ([project] declares dynamic version, which needs the build backend to run): allow python.build_sdists: builder');
});

test('an sdist whose bytes do not match the lock\'s sha256 is refused before it is unpacked', async () => {
  const { project } = await sdistProject([PURE], (data) => Buffer.concat([data, Buffer.from('tampered')]));
  await assert.rejects(pinPython(pythonPlan(project), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: EPOCH }), (error: unknown) =>
    error instanceof IntegrityError && /tiny_pure-1\.0\.tar\.gz/.test(error.message) && /sha256/.test(error.message));
});

test('an sdist escaping its folder is refused naming the sdist', async () => {
  const evil: SdistSpec = { ...PURE, files: { ...PURE.files, '../../escape.py': 'x = 1\n' } };
  const { project } = await sdistProject([evil]);
  await assert.rejects(pinPython(pythonPlan(project), TARGET, AMD64, { store: await tempStore(), env: {}, epoch: EPOCH }), /sdist tiny_pure-1\.0\.tar\.gz: path ".*escape\.py" escapes/);
});
