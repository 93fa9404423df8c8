// kiln init on real project folders: the poetry fixture project and a uv project get a kiln.yaml that validates
// and plans (Debian base chosen from requires-python, console script as the entrypoint); a requirements project
// gets its script copied in as the app; an existing kiln.yaml and a folder without a lock are refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln, repoRoot } from '../testing/cli.js';
import { tempDir } from '../testing/images.js';
import { loadManifest } from '../config/load.js';
import type { BuildPlan } from '../plan/types.js';
import { ConfigError } from '../errors.js';
import { detectProject, manifestText, pickRelease } from './index.js';

const UV_LOCK = `version = 1
revision = 2
requires-python = ">=3.10, <3.12"

[[package]]
name = "typing-extensions"
version = "4.10.0"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/33/typing_extensions-4.10.0-py3-none-any.whl", hash = "sha256:${'a'.repeat(64)}", size = 33000 },
]

[[package]]
name = "uv-proj"
version = "1.0.0"
source = { editable = "." }
dependencies = [
    { name = "typing-extensions" },
]
`;

const UV_PYPROJECT = `[project]
name = "UV_Proj"
version = "1.0.0"
requires-python = ">=3.10,<3.12"
dependencies = ["typing-extensions"]

[project.scripts]
serve-admin = "uv_proj:admin"
uv-proj = "uv_proj:main"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
`;

test('pickRelease: the newest Debian python3 that fits requires-python', () => {
  assert.equal(pickRelease(undefined, 'x').release, 'trixie');
  assert.equal(pickRelease('>=3.9,<4', 'x').release, 'trixie');
  assert.equal(pickRelease('>=3.10,<3.12', 'x').release, 'bookworm');
  assert.equal(pickRelease('~=3.11.0', 'x').release, 'bookworm');
  assert.equal(pickRelease('>=3.8,<3.9 || >=3.13', 'x').release, 'trixie');
  assert.throws(() => pickRelease('>=3.14', 'pyproject.toml'), (error: unknown) =>
    error instanceof ConfigError && error.message === 'pyproject.toml: requires-python ">=3.14" fits no Debian python3 kiln knows (trixie 3.13.5, bookworm 3.11.2)');
});

test('kiln init: the poetry fixture project (console script, python = "^3.9") validates and plans on trixie', { timeout: 600_000 }, async () => {
  const work = await tempDir('kiln-init-');
  try {
    await cp(join(repoRoot, 'test/fixtures/python-project'), work, { recursive: true });
    const dir = join(work, 'demo-server');
    const env = { KILN_CACHE_DIR: join(work, 'cache') };
    const result = await runKiln(['init', dir], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^kiln: wrote ${join(dir, 'kiln.yaml')}\n`));
    const text = await readFile(join(dir, 'kiln.yaml'), 'utf8');
    const { entries } = await loadManifest(join(dir, 'kiln.yaml'), { env });
    assert.equal(entries.length, 1);
    const { name, spec } = entries[0]!;
    assert.equal(name, 'demo-server');
    assert.deepEqual(spec.base, { ...(spec.base as object), distro: 'debian', release: 'trixie', packages: ['python3'] });
    assert.deepEqual(spec.entrypoint, ['demo-server']);
    assert.equal(spec.python?.lock, 'poetry.lock');
    assert.equal(spec.app, undefined, 'a console script needs no app folder');
    assert.match(text, /python3 3\.13\.5: the newest Debian python3 fitting requires-python >=3\.9,<4/);
    // The plan kiln init printed is kiln plan's.
    assert.match(result.stdout, /\n {4}- Installing demo-server \(0\.3\.0\) demo_server-0\.3\.0-py3-none-any\.whl from \S+ {2}\[python project\]\n/);
    assert.match(result.stdout, /\n {2}command: demo-server\n/);

    const planned = await runKiln(['plan', dir, '--json'], { env });
    assert.equal(planned.code, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout) as BuildPlan;
    const pins = plan.images[0]!.pinned!;
    assert.match(pins.python!.target.pythonFullVersion, /^3\.13\./);
    assert.deepEqual(pins.python!.packages.map((pkg) => pkg.name), ['colorlite', 'tinyformat', 'demo-common', 'demo-server']);

    // Again: the kiln.yaml stays as it is, in one line and exit 1; --force rewrites it.
    await writeFile(join(dir, 'kiln.yaml'), `# mine\n${text}`);
    const again = await runKiln(['init', dir], { env });
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `kiln: ${join(dir, 'kiln.yaml')} exists; kiln init --force replaces it\n`);
    assert.equal(again.stdout, '');
    assert.match(await readFile(join(dir, 'kiln.yaml'), 'utf8'), /^# mine\n/);
    const forced = await runKiln(['init', dir, '--force', '--no-resolve'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await readFile(join(dir, 'kiln.yaml'), 'utf8'), text);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('kiln init: a uv project with requires-python <3.12 gets bookworm and the script named like the project', { timeout: 600_000 }, async () => {
  const work = await tempDir('kiln-init-uv-');
  try {
    const dir = join(work, 'uv-proj');
    await mkdir(join(dir, 'uv_proj'), { recursive: true });
    await writeFile(join(dir, 'uv_proj/__init__.py'), 'def main():\n    print("hi")\n');
    await writeFile(join(dir, 'pyproject.toml'), UV_PYPROJECT);
    await writeFile(join(dir, 'uv.lock'), UV_LOCK);
    const facts = await detectProject(dir);
    assert.deepEqual([facts.name, facts.lock, facts.scripts, facts.requiresPython, facts.base.release],
      ['uv-proj', { file: 'uv.lock', format: 'uv' }, ['uv-proj', 'serve-admin'], '>=3.10,<3.12', 'bookworm']);
    assert.match(manifestText(facts), /\n {4}entrypoint: \["uv-proj"\] {2}# other console scripts: serve-admin\n/);

    const env = { KILN_CACHE_DIR: join(work, 'cache') };
    const result = await runKiln(['init', dir], { env });
    assert.equal(result.code, 0, result.stderr);
    const planned = await runKiln(['plan', dir, '--json'], { env });
    assert.equal(planned.code, 0, planned.stderr);
    const image = (JSON.parse(planned.stdout) as BuildPlan).images[0]!;
    assert.equal(image.name, 'uv-proj');
    assert.deepEqual(image.runtime.Entrypoint, ['uv-proj']);
    assert.match(image.pinned!.python!.target.pythonFullVersion, /^3\.11\./);
    assert.deepEqual(image.pinned!.python!.packages.map((pkg) => [pkg.name, pkg.version]), [['typing-extensions', '4.10.0'], ['uv-proj', '1.0.0']]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('kiln init: a requirements project copies its main.py in as the app; a folder without a lock is refused in one line', async () => {
  const work = await tempDir('kiln-init-req-');
  try {
    const dir = join(work, 'svc');
    await mkdir(dir);
    await writeFile(join(dir, 'requirements-prod.txt'), `typing-extensions==4.10.0 --hash=sha256:${'a'.repeat(64)}\n`);
    await writeFile(join(dir, 'main.py'), 'print("hi")\n');
    const result = await runKiln(['init', dir, '--no-resolve'], { env: { KILN_CACHE_DIR: join(work, 'cache') } });
    assert.equal(result.code, 0, result.stderr);
    const { entries } = await loadManifest(join(dir, 'kiln.yaml'), { env: {} });
    const { spec } = entries[0]!;
    assert.deepEqual(spec.app, { src: '.', dest: '/app' });
    assert.deepEqual(spec.entrypoint, ['python3', '/app/main.py']);
    assert.equal(spec.python?.lock, 'requirements-prod.txt');
    assert.equal((spec.base as { release: string }).release, 'trixie');
    assert.match(result.stdout, /^svc\n {2}base: debian\/trixie distroless \[python3\]/);

    const empty = join(work, 'empty');
    await mkdir(empty);
    const refused = await runKiln(['init', empty]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `kiln: no Python lock in ${empty} (looked for pylock.toml, uv.lock, poetry.lock, requirements.lock, requirements.txt, requirements*.txt)\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
