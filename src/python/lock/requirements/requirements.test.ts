import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, IntegrityError } from '../../../errors.js';
import { targetEnvironment } from '../../target.js';
import { selectPackages } from '../select.js';
import { requirements } from './index.js';

const app = new URL('fixtures/app/', import.meta.url).pathname;
const amd64 = targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' });
const arm64 = targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.11.2' });

test('requirements reads pins, includes, constraints, hashes, indexes and find-links', async () => {
  const lock = await requirements.read(join(app, 'requirements.txt'));
  assert.deepEqual(lock.indexes, [{ url: 'https://mirror.example.org/simple' }, { url: 'https://download.pytorch.org/whl/cpu' }]);
  assert.deepEqual(lock.findLinks, [join(app, 'wheels')]);
  const pydantic = lock.packages.find((pkg) => pkg.name === 'pydantic')!;
  assert.deepEqual(pydantic.files, [
    { filename: '', hashes: { sha256: '3'.repeat(64) } },
    { filename: '', hashes: { sha256: '4'.repeat(64) } },
  ]);
  assert.deepEqual(lock.roots.find((root) => root.name === 'pydantic'), { name: 'pydantic', extras: ['email'], specifier: '==2.6.4', version: '2.6.4', group: 'main' });
  const grpcio = lock.packages.find((pkg) => pkg.name === 'grpcio')!;
  assert.equal(grpcio.version, '1.62.1', 'pinned through -c constraints.txt');
  assert.equal(grpcio.files.length, 1, 'hash taken from the constraints file');
  assert.ok(!lock.packages.some((pkg) => pkg.name === 'protobuf'), 'a constraint alone installs nothing');
  const torch = lock.packages.find((pkg) => pkg.name === 'torch')!;
  assert.deepEqual(torch.source, { kind: 'url', url: 'https://download.pytorch.org/whl/cpu/torch-2.2.1%2Bcpu-cp311-cp311-linux_x86_64.whl' });
  assert.equal(torch.version, '2.2.1+cpu');
  const shared = lock.packages.find((pkg) => pkg.name === 'vendor-shared')!;
  assert.deepEqual(shared.source, { kind: 'path', path: new URL('fixtures/vendor-shared', import.meta.url).pathname, develop: true });
  assert.equal(shared.version, '0.3.0');
});

test('requirements selection evaluates each line\'s marker for the target', async () => {
  const lock = await requirements.read(join(app, 'requirements.txt'));
  const pick = (target = amd64) => selectPackages(lock, target).map((pkg) => `${pkg.name}==${pkg.version}`);
  assert.deepEqual(pick(amd64), [
    'email-validator==2.1.1', 'fastapi==0.110.0', 'grpcio==1.62.1', 'numpy==1.26.4', 'pydantic==2.6.4', 'torch==2.2.1+cpu', 'uvloop==0.19.0', 'vendor-shared==0.3.0',
  ]);
  assert.deepEqual(pick(arm64), ['email-validator==2.1.1', 'fastapi==0.110.0', 'numpy==1.26.4', 'pydantic==2.6.4', 'uvloop==0.19.0', 'vendor-shared==0.3.0']);
  assert.ok(pick(targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.8.10' })).includes('numpy==1.24.4'));
});

function write(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kiln-req-')), 'requirements.txt');
  writeFileSync(path, text);
  return path;
}

test('a requirement without a hash is refused unless allowed', async () => {
  const lock = await requirements.read(write('requests==2.31.0 --hash=sha256:' + 'a'.repeat(64) + '\nidna==3.6\n'));
  assert.throws(() => selectPackages(lock, amd64), (error: unknown) => error instanceof IntegrityError && /idna==3\.6 has no hash/.test(error.message));
  assert.equal(selectPackages(lock, amd64, { allowUnhashed: true }).length, 2);
});

test('bad requirements files fail with file:line', async () => {
  for (const [text, line, problem] of [
    ['idna==3.6\nrequests>=2\n', 2, /requests is not pinned/],
    ['idna==3.6\n\n--frobnicate\n', 3, /unsupported option --frobnicate/],
    ['idna==3.6 \\\n  --hash=md5\n', 1, /invalid --hash md5/],
    ['-r missing.txt\n', 1, /cannot read .*missing\.txt/],
    ['numpy==1.26.4 ; python_version >> "3"\n', 1, /invalid marker/],
  ] as const) {
    const path = write(text);
    await assert.rejects(requirements.read(path), (error: unknown) =>
      error instanceof InputError && error.oneLine().startsWith(`${path}:${line}: `) && problem.test(error.message), text);
  }
});
