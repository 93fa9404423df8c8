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
