import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { InputError } from '../../errors.js';
import { WheelSource } from '../wheel/source.js';
import { buildLocalWheel } from './wheel.js';

const PYTHON = '/usr/bin/python3';
const pipWheel = existsSync('/usr/share/python-wheels') ? readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-')) : undefined;
const skip = pipWheel && existsSync('/usr/lib/python3/dist-packages/installer') ? false : 'needs python3-installer and python3-pip-whl';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-build-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function project(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const PROJECTS: Record<string, { files: Record<string, string>; module: string; dist: string; version: string; requires: string[]; script: string }> = {
  poetry: {
    files: {
      'pyproject.toml': `[tool.poetry]
name = "poetry-app"
version = "1.2.3"
description = "A model server"
authors = ["Ada <ada@example.com>"]
packages = [{ include = "poetry_app", from = "src" }]

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.28"
numpy = { version = ">=1.24", optional = true, markers = "sys_platform == 'linux'" }

[tool.poetry.extras]
fast = ["numpy"]

[tool.poetry.scripts]
poetry-app = "poetry_app.cli:main"

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`,
      'src/poetry_app/__init__.py': 'VALUE = 42\n',
      'src/poetry_app/cli.py': 'def main():\n    print("poetry-app ran")\n',
      'src/poetry_app/__pycache__/junk.cpython-311.pyc': 'junk',
    },
    module: 'poetry_app', dist: 'poetry-app', version: '1.2.3',
    requires: ['requests (>=2.28,<3)', 'numpy (>=1.24) ; (sys_platform == \'linux\') and extra == "fast"'], script: 'poetry-app',
  },
  hatchling: {
    files: {
      'pyproject.toml': `[project]
name = "hatch-app"
version = "0.4.0"
requires-python = ">=3.9"
dependencies = ["fastapi>=0.100"]
readme = "README.md"
[project.scripts]
hatch-app = "hatch_app:main"
[tool.hatch.build.targets.wheel]
packages = ["src/hatch_app"]
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
`,
      'README.md': '# Hatch app\n',
      'src/hatch_app/__init__.py': 'VALUE = 42\ndef main():\n    print("hatch-app ran")\n',
    },
    module: 'hatch_app', dist: 'hatch-app', version: '0.4.0', requires: ['fastapi>=0.100'], script: 'hatch-app',
  },
  setuptools: {
    files: {
      'pyproject.toml': `[project]
name = "st-app"
version = "2.0"
dependencies = ["pydantic>=2"]
[project.optional-dependencies]
gpu = ["torch>=2"]
[project.scripts]
st-app = "st_app.main:run"
[tool.setuptools.packages.find]
where = ["src"]
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
`,
      'src/st_app/__init__.py': 'VALUE = 42\n',
      'src/st_app/main.py': 'def run():\n    print("st-app ran")\n',
      'src/st_app/sub/__init__.py': '',
      'tests/test_x.py': '',
    },
    module: 'st_app', dist: 'st-app', version: '2.0', requires: ['pydantic>=2', 'torch>=2; extra == "gpu"'], script: 'st-app',
  },
  flit: {
    files: {
      'pyproject.toml': `[project]
name = "flit_app"
version = "0.1"
description = "flit"
[project.gui-scripts]
flit-app = "flit_app:main"
[build-system]
requires = ["flit_core>=3.2"]
build-backend = "flit_core.buildapi"
`,
      'flit_app.py': 'VALUE = 42\ndef main():\n    print("flit-app ran")\n',
    },
    module: 'flit_app', dist: 'flit_app', version: '0.1', requires: [], script: 'flit-app',
  },
};

for (const [backend, spec] of Object.entries(PROJECTS)) {
  test(`${backend} project: the wheel kiln builds is accepted by python -m installer and by pip`, { skip }, async () => {
    const dir = await project(backend, spec.files);
    const out = join(work, `${backend}-dist`);
    await mkdir(out);
    const built = await buildLocalWheel(dir, out, { epoch: 1700000000 });
    assert.equal(built.backend, backend);
    assert.equal(built.version, spec.version);
    // installer: the wheel's RECORD must check out (kiln's own reader verifies every hash too).
    const source = await WheelSource.open(built.path);
    assert.ok(source.members.every((m) => !m.path.includes('__pycache__')));
    for (const m of source.members) await m.read();
    await source.close();
    execFileSync(PYTHON, ['-m', 'installer', '--destdir', join(work, `${backend}-installer`), built.path]);
    const target = join(work, `${backend}-pip`);
    execFileSync(PYTHON, [join('/usr/share/python-wheels', pipWheel!, 'pip'), 'install', '--quiet', '--no-deps', '--no-index', '--target', target, built.path], { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    const script = `import importlib.metadata as m, ${spec.module} as mod\nprint(mod.VALUE)\nprint(m.version(${JSON.stringify(spec.dist)}))\nprint(m.requires(${JSON.stringify(spec.dist)}))\nprint([e.name for e in m.distribution(${JSON.stringify(spec.dist)}).entry_points])`;
    const [value, version, requires, scripts] = execFileSync(PYTHON, ['-c', script], { env: { PYTHONPATH: target } }).toString().trim().split('\n');
    assert.equal(value, '42');
    assert.equal(version, spec.version);
    assert.equal(requires, spec.requires.length ? `[${spec.requires.map((r) => `'${r.replace(/'/g, "\\'")}'`).join(', ')}]` : 'None');
    assert.equal(scripts, `['${spec.script}']`);
  });
}

test('builds are reproducible: same epoch, same bytes; timestamps clamp at 1980', async () => {
  const dir = await project('repro', PROJECTS.flit!.files);
  const a = join(work, 'repro-a');
  const b = join(work, 'repro-b');
  await mkdir(a);
  await mkdir(b);
  const first = await buildLocalWheel(dir, a, { epoch: 0 });
  const second = await buildLocalWheel(dir, b, { epoch: 315532800 });
  assert.deepEqual(await readFile(first.path), await readFile(second.path));
  const later = await buildLocalWheel(dir, b, { epoch: 1700000000 });
  assert.notDeepEqual(await readFile(later.path), await readFile(first.path));
});

test('projects kiln cannot build natively are refused naming the project', async () => {
  const setupPy = await project('legacy', { 'setup.py': 'from setuptools import setup\nsetup()\n' });
  await assert.rejects(buildLocalWheel(setupPy, work), (e: Error) => e instanceof InputError && e.message === `project ${setupPy}: only a setup.py, which must run Python to build; kiln builds pyproject-based pure-Python projects only`);
  const maturin = await project('rusty', { 'pyproject.toml': '[project]\nname="r"\nversion="1"\n[build-system]\nbuild-backend = "maturin"\n' });
  await assert.rejects(buildLocalWheel(maturin, work), /project .*rusty: build backend "maturin" is not one kiln can build natively/);
  const dynamic = await project('dyn', { 'pyproject.toml': '[project]\nname="d"\ndynamic=["version"]\n[build-system]\nbuild-backend = "hatchling.build"\n' });
  await assert.rejects(buildLocalWheel(dynamic, work), /project .*dyn: \[project\] declares dynamic version/);
});
