import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, IntegrityError, UsageError } from '../../../errors.js';
import { parsePyProject } from '../../pyproject.js';
import { targetEnvironment } from '../../target.js';
import { selectPackages } from '../select.js';
import { poetryContentHashes, pythonJson } from './content-hash.js';
import { poetry } from './index.js';

const fixtures = new URL('fixtures/', import.meta.url).pathname;
const amd64 = targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' });
const arm64 = targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.11.2' });

function copyFixture(name: string): string {
  const work = mkdtempSync(join(tmpdir(), 'kiln-poetry-'));
  cpSync(join(fixtures, name), join(work, name), { recursive: true });
  cpSync(join(fixtures, 'shared'), join(work, 'shared'), { recursive: true });
  return join(work, name);
}

test('poetry reads pins, hashes, indexes and an absolute path for a path dependency', async () => {
  const lock = await poetry.read(join(fixtures, 'server-v1.1', 'poetry.lock'));
  const shared = lock.packages.find((pkg) => pkg.name === 'shared')!;
  assert.deepEqual(shared.source, { kind: 'path', path: join(fixtures, 'shared'), develop: true });
  assert.deepEqual(shared.dependencies, [{ name: 'protobuf', extras: [], specifier: '>=4.25,<5' }]);
  const idna = lock.packages.find((pkg) => pkg.name === 'idna')!;
  assert.deepEqual(idna.files, [
    { filename: 'idna-3.6-py3-none-any.whl', hashes: { sha256: '471efd1706b11757e2ace2637102aab0362e28ff6cc46ed114cbab6a0e853c11' } },
  ]);
  assert.deepEqual(idna.source, { kind: 'index', url: 'http://127.0.0.1:8765' });
  assert.deepEqual(lock.indexes, [{ url: 'http://127.0.0.1:8765/', name: 'local' }]);
  assert.deepEqual(lock.project, { name: 'model-server', version: '0.1.0' });
  assert.deepEqual(lock.groups, ['main', 'dev']);
  assert.deepEqual(lock.extras, ['gpu']);
});

test('selection follows the target architecture and python version', async () => {
  const lock = await poetry.read(join(fixtures, 'server-v2.0', 'poetry.lock'));
  const names = (target = amd64) => selectPackages(lock, target).map((pkg) => `${pkg.name}==${pkg.version}`);
  assert.ok(names(amd64).includes('grpcio==1.62.1'));
  assert.ok(!names(arm64).includes('grpcio==1.62.1'), 'grpcio is marked platform_machine == "x86_64"');
  const py38 = names(targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.8.18' }));
  assert.ok(py38.includes('numpy==1.24.4') && !py38.includes('numpy==1.26.4'), 'python 3.8 takes the older numpy');
  assert.ok(py38.includes('importlib-metadata==7.0.2') && py38.includes('zipp==3.17.0'));
  assert.ok(!names(amd64).includes('importlib-metadata==7.0.2'));
});

test('a stale lock is refused in one line naming the lock', async () => {
  const project = copyFixture('server-v2.0');
  const pyproject = join(project, 'pyproject.toml');
  writeFileSync(pyproject, readFileSync(pyproject, 'utf8').replace('fastapi = "^0.110"', 'fastapi = "^0.111"'));
  const lockPath = join(project, 'poetry.lock');
  await assert.rejects(poetry.read(lockPath), (error: unknown) =>
    error instanceof InputError && error.oneLine() === `${lockPath}: lock is out of date with ${pyproject} (content-hash differs); run \`poetry lock\``);
  await poetry.read(lockPath, { checkFresh: false });
});

test('unhashed index packages are refused unless allowed; unknown groups and extras are usage errors', async () => {
  const project = copyFixture('server-v2.0');
  const lockPath = join(project, 'poetry.lock');
  writeFileSync(lockPath, readFileSync(lockPath, 'utf8').replace(/\{file = "idna-3\.6-py3-none-any\.whl", hash = "[^"]+"\},?/, ''));
  const lock = await poetry.read(lockPath);
  assert.throws(() => selectPackages(lock, amd64), (error: unknown) =>
    error instanceof IntegrityError && /idna==3\.6 has no hash/.test(error.message));
  assert.ok(selectPackages(lock, amd64, { allowUnhashed: true }).some((pkg) => pkg.name === 'idna'));
  assert.throws(() => selectPackages(lock, amd64, { groups: ['docs'] }), UsageError);
  assert.throws(() => selectPackages(lock, amd64, { extras: ['cuda'] }), UsageError);
});

test('a malformed lock names the file and the key', async () => {
  const project = copyFixture('server-v2.0');
  const lockPath = join(project, 'poetry.lock');
  writeFileSync(lockPath, readFileSync(lockPath, 'utf8').replace('lock-version = "2.0"', 'lock-version = "3.0"'));
  await assert.rejects(poetry.read(lockPath), (error: unknown) =>
    error instanceof InputError && error.oneLine() === `${lockPath}: metadata.lock-version: kiln reads poetry lock-version 1.x and 2.x`);
  writeFileSync(lockPath, '[[package]]\nname = "x"\nversion = \n');
  await assert.rejects(poetry.read(lockPath), (error: unknown) => error instanceof InputError && error.oneLine().startsWith(`${lockPath}:3:`));
});

test('pythonJson matches python json.dumps(sort_keys=True), and the PEP 621 content-hash uses it', () => {
  const text = '[project]\nname = "café"\ndependencies = ["naive>=1", "zeta ; os_name == \'é\'"]\nrequires-python = ">=3.9"\n[project.optional-dependencies]\ngpu = ["torch"]\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n';
  const data = parsePyProject(text, 'pyproject.toml').data;
  const python = execFileSync('/usr/bin/python3', ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.loads(sys.stdin.read()), sort_keys=True), end="")'], { input: text, encoding: 'utf8' });
  assert.equal(pythonJson(data), python);
  const hashes = poetryContentHashes(data);
  const expected = execFileSync('/usr/bin/python3', ['-c', [
    'import json,sys,tomllib,hashlib',
    'd=tomllib.loads(sys.stdin.read())',
    'p={k: d["project"][k] for k in ["requires-python","dependencies","optional-dependencies"] if k in d["project"]}',
    't={k: d["tool"]["poetry"][k] for k in ["dependencies","source","extras","dev-dependencies","group"] if k in d["tool"]["poetry"]}',
    'print(hashlib.sha256(json.dumps({"project": p, "tool": {"poetry": t}}, sort_keys=True).encode()).hexdigest(), end="")',
  ].join('\n')], { input: text, encoding: 'utf8' });
  assert.deepEqual(hashes, [expected]);
});

test('a Poetry 1.0 lock (no lock-version, files in [metadata.files], package-level markers) is read as 1.0 with a note', async () => {
  // Shaped like the locks Poetry 1.0 wrote (Poetry keeps one as its own old-lock fixture).
  const dir = mkdtempSync(join(tmpdir(), 'kiln-poetry-1.0-'));
  writeFileSync(join(dir, 'pyproject.toml'), '[tool.poetry]\nname = "legacy-app"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "*"\n\n[tool.poetry.dev-dependencies]\npytest = "^3.5"\n');
  const sha = (c: string) => c.repeat(64);
  writeFileSync(join(dir, 'poetry.lock'), `[[package]]
category = "dev"
description = "Cross-platform colored terminal text."
marker = "sys_platform == \\"win32\\""
name = "colorama"
optional = false
python-versions = "*"
version = "0.3.9"

[[package]]
category = "dev"
description = "Python function signatures from PEP362"
marker = "python_version < \\"3.0\\""
name = "funcsigs"
optional = false
python-versions = "*"
version = "1.0.2"

[[package]]
category = "dev"
description = "pytest: simple powerful testing with Python"
name = "pytest"
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*"
version = "3.5.0"

[package.dependencies]
colorama = "*"
six = ">=1.10.0"

[package.dependencies.funcsigs]
python = "<3.0"
version = "*"

[[package]]
category = "dev"
description = "Python 2 and 3 compatibility utilities"
name = "six"
optional = false
python-versions = "*"
version = "1.11.0"

[metadata]
content-hash = "123456789"
python-versions = "*"

[metadata.files]
colorama = [
    {file = "colorama-0.3.9-py2.py3-none-any.whl", hash = "sha256:${sha('1')}"},
    {file = "colorama-0.3.9.tar.gz", hash = "sha256:${sha('2')}"},
]
funcsigs = [
    {file = "funcsigs-1.0.2-py2.py3-none-any.whl", hash = "sha256:${sha('3')}"},
]
pytest = [
    {file = "pytest-3.5.0-py2.py3-none-any.whl", hash = "sha256:${sha('4')}"},
    {file = "pytest-3.5.0.tar.gz", hash = "sha256:${sha('5')}"},
]
six = [
    {file = "six-1.11.0-py2.py3-none-any.whl", hash = "sha256:${sha('6')}"},
]
`);
  const notes: string[] = [];
  const lock = await poetry.read(join(dir, 'poetry.lock'), { checkFresh: false, log: (line) => notes.push(line) });
  assert.deepEqual(notes, [`${join(dir, 'poetry.lock')}: no metadata.lock-version (written by Poetry 1.0 or older); read as lock-version 1.0`]);
  const pytest = lock.packages.find((pkg) => pkg.name === 'pytest')!;
  assert.deepEqual(pytest.files.map((file) => [file.filename, file.hashes.sha256]), [['pytest-3.5.0-py2.py3-none-any.whl', sha('4')], ['pytest-3.5.0.tar.gz', sha('5')]]);
  // colorama's edge says "*": its package marker (win32) keeps it off Linux, as Poetry 1.0 decided.
  assert.deepEqual(pytest.dependencies.find((dep) => dep.name === 'colorama')?.marker, 'sys_platform == "win32"');
  assert.deepEqual(selectPackages(lock, amd64, { groups: ['dev'] }).map((pkg) => `${pkg.name}==${pkg.version}`), ['pytest==3.5.0', 'six==1.11.0']);
  const stale = await poetry.read(join(dir, 'poetry.lock')).catch((error: unknown) => error);
  assert.ok(stale instanceof InputError && /content-hash differs/.test(stale.message), 'a 1.0 lock is checked for freshness like any other');
});
