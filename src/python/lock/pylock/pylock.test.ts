import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../errors.js';
import { targetEnvironment } from '../../target.js';
import { selectPackages } from '../select.js';
import { pylock } from './index.js';

const lockPath = new URL('fixtures/pylock.toml', import.meta.url).pathname;
const amd64 = targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' });
const arm64 = targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.11.2' });
const names = (packages: Array<{ name: string; version: string }>) => packages.map((pkg) => `${pkg.name}==${pkg.version}`);

test('pylock reads packages, sources and hashes', async () => {
  const lock = await pylock.read(lockPath);
  assert.deepEqual(lock.groups, ['main', 'dev']);
  assert.deepEqual(lock.extras, ['gpu']);
  const torch = lock.packages.find((pkg) => pkg.name === 'torch')!;
  assert.deepEqual(torch.source, { kind: 'url', url: 'https://download.pytorch.org/whl/cpu/torch-2.2.1%2Bcpu-cp311-cp311-linux_x86_64.whl' });
  assert.equal(torch.files[0]!.filename, 'torch-2.2.1+cpu-cp311-cp311-linux_x86_64.whl');
  const shared = lock.packages.find((pkg) => pkg.name === 'shared')!;
  assert.deepEqual(shared.source, { kind: 'path', path: new URL('shared', import.meta.url).pathname, develop: false });
});

test('pylock selection evaluates package markers with extras and dependency groups', async () => {
  const lock = await pylock.read(lockPath);
  assert.deepEqual(names(selectPackages(lock, amd64)), ['fastapi==0.110.0', 'numpy==1.26.4', 'shared==0.3.0']);
  assert.deepEqual(names(selectPackages(lock, amd64, { extras: ['gpu'], groups: ['main', 'dev'] })), [
    'fastapi==0.110.0', 'numpy==1.26.4', 'pytest==8.0.2', 'shared==0.3.0', 'torch==2.2.1',
  ]);
  assert.ok(!names(selectPackages(lock, arm64, { extras: ['gpu'] })).includes('torch==2.2.1'));
  assert.ok(names(selectPackages(lock, targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.9.2' }))).includes('numpy==1.24.4'));
});

test('a pylock of another lock-version is refused naming the key', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'kiln-pylock-')), 'pylock.toml');
  writeFileSync(path, 'lock-version = "2.0"\n');
  await assert.rejects(pylock.read(path), (error: unknown) => error instanceof InputError && error.oneLine() === `${path}: lock-version: kiln reads pylock lock-version 1.x`);
});
