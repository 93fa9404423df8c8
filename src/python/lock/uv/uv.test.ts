import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../errors.js';
import { targetEnvironment } from '../../target.js';
import { selectPackages } from '../select.js';
import { uv } from './index.js';

const lockPath = new URL('fixtures/server/uv.lock', import.meta.url).pathname;
const amd64 = targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' });
const arm64 = targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.11.2' });
const names = (packages: Array<{ name: string; version: string }>) => packages.map((pkg) => `${pkg.name}==${pkg.version}`);

test('uv reads the workspace root as roots, and sources, files and paths as kiln types', async () => {
  const lock = await uv.read(lockPath);
  assert.deepEqual(lock.project, { name: 'model-server', version: '0.1.0' });
  assert.deepEqual(lock.groups, ['main', 'dev']);
  assert.deepEqual(lock.extras, ['gpu']);
  assert.ok(!lock.packages.some((pkg) => pkg.name === 'model-server'), 'the project itself is not installed from the lock');
  const shared = lock.packages.find((pkg) => pkg.name === 'shared')!;
  assert.deepEqual(shared.source, { kind: 'path', path: new URL('fixtures/shared', import.meta.url).pathname, develop: true });
  const torch = lock.packages.find((pkg) => pkg.name === 'torch')!;
  assert.deepEqual(torch.source, { kind: 'git', url: 'https://github.com/example/torch-lite', reference: 'v2.2.1', commit: '0123456789abcdef0123456789abcdef01234567' });
  const fastapi = lock.packages.find((pkg) => pkg.name === 'fastapi')!;
  assert.deepEqual(fastapi.files.map((file) => file.filename), ['fastapi-0.110.0-py3-none-any.whl', 'fastapi-0.110.0.tar.gz']);
  assert.deepEqual(fastapi.files[0]!.hashes, { sha256: 'a8906ce09e0d0341bb926573df7c685f33738bc7a91db419e3f4f5b7f814301e' });
  assert.deepEqual(lock.indexes, [{ url: 'https://pypi.org/simple' }]);
});

test('uv selection follows version pins, markers, package extras, project extras and groups', async () => {
  const lock = await uv.read(lockPath);
  assert.deepEqual(names(selectPackages(lock, amd64)), [
    'email-validator==2.1.1', 'fastapi==0.110.0', 'idna==3.6', 'numpy==1.26.4', 'protobuf==4.25.3', 'pydantic==2.6.4', 'shared==0.3.0', 'typing-extensions==4.10.0', 'uvloop==0.19.0',
  ]);
  const py39 = names(selectPackages(lock, targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.9.18' })));
  assert.ok(py39.includes('numpy==1.24.4') && !py39.includes('numpy==1.26.4'));
  assert.ok(names(selectPackages(lock, amd64, { extras: ['gpu'] })).includes('torch==2.2.1'));
  assert.ok(!names(selectPackages(lock, arm64, { extras: ['gpu'] })).includes('torch==2.2.1'));
  assert.ok(names(selectPackages(lock, amd64, { groups: ['main', 'dev'] })).includes('pytest==8.0.2'));
});

test('a uv.lock of another version is refused naming the key', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'kiln-uv-')), 'uv.lock');
  writeFileSync(path, 'version = 2\n');
  await assert.rejects(uv.read(path), (error: unknown) => error instanceof InputError && error.oneLine() === `${path}: version: kiln reads uv.lock version 1`);
});
