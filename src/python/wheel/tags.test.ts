import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { arch } from 'node:os';
import { test } from 'node:test';
import { ResolutionError } from '../../errors.js';
import type { TargetEnvironment } from '../types.js';
import { parseWheelFilename } from './filename.js';
import { compatibleTags, platformTags, selectWheel, TagRanking } from './tags.js';

function target(overrides: Partial<TargetEnvironment> = {}): TargetEnvironment {
  return {
    pythonVersion: '3.11', pythonFullVersion: '3.11.2', implementation: 'cpython', sysPlatform: 'linux',
    platformMachine: 'x86_64', osName: 'posix', platformSystem: 'Linux', libc: { kind: 'glibc', version: [2, 36] },
    ...overrides,
  };
}

const pipWheel = existsSync('/usr/share/python-wheels') ? readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-')) : undefined;

test('compatibleTags equals packaging.tags.sys_tags() of this machine\'s system Python', { skip: !pipWheel || arch() !== 'x64' ? 'needs x86_64 and python3-pip-whl' : false }, () => {
  // pip vendors packaging; running it from the wheel asks the real interpreter and glibc of this host.
  const script = 'from pip._vendor.packaging import tags, version; import sys, platform\n'
    + 'print(platform.libc_ver()[1]); print("%d.%d" % sys.version_info[:2])\n'
    + 'print("\\n".join(str(t) for t in tags.sys_tags()))';
  const out = execFileSync('/usr/bin/python3', ['-c', script], { env: { PYTHONPATH: `/usr/share/python-wheels/${pipWheel}` } }).toString().trim().split('\n');
  const [glibc, python, ...expected] = out as [string, string, ...string[]];
  const [major, minor] = glibc.split('.').map(Number) as [number, number];
  const ours = compatibleTags(target({ pythonVersion: python, libc: { kind: 'glibc', version: [major, minor] } }));
  // packaging 21.3 (vendored by pip 23.0) predates `cpXY-none-any`, which packaging >= 22 yields before `pyXY-none-any`.
  const nodot = python.replace('.', '');
  assert.equal(ours[ours.indexOf(`py${nodot}-none-any`) - 1], `cp${nodot}-none-any`);
  assert.deepEqual(ours.filter((tag) => tag !== `cp${nodot}-none-any`), expected);
});

test('platformTags: aarch64 starts at manylinux2014, musl lists musllinux down to 0', () => {
  const arm = platformTags(target({ platformMachine: 'aarch64', libc: { kind: 'glibc', version: [2, 17] } }));
  assert.deepEqual(arm, ['manylinux_2_17_aarch64', 'manylinux2014_aarch64', 'linux_aarch64']);
  const musl = platformTags(target({ libc: { kind: 'musl', version: [1, 2] } }));
  assert.deepEqual(musl, ['musllinux_1_2_x86_64', 'musllinux_1_1_x86_64', 'musllinux_1_0_x86_64', 'linux_x86_64']);
});

test('parseWheelFilename reads build tags and compressed tag sets', () => {
  const parsed = parseWheelFilename('foo_bar-1.0-2b-py2.py3-none-any.whl');
  assert.deepEqual(parsed, { filename: 'foo_bar-1.0-2b-py2.py3-none-any.whl', distribution: 'foo_bar', version: '1.0', buildTag: [2, 'b'], tags: ['py2-none-any', 'py3-none-any'] });
  assert.throws(() => parseWheelFilename('foo-1.0.tar.gz'), /not a valid wheel file name/);
});

test('selectWheel prefers the most specific wheel, then the higher build tag', () => {
  const ranking = new TagRanking(target());
  const files = [
    { filename: 'numpy-1.26.4.tar.gz' },
    { filename: 'numpy-1.26.4-py3-none-any.whl' },
    { filename: 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl' },
    { filename: 'numpy-1.26.4-cp311-cp311-manylinux_2_38_x86_64.whl' },
    { filename: 'numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl' },
    { filename: 'numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl' },
  ];
  assert.equal(selectWheel('numpy', files, ranking).filename, 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
  assert.equal(selectWheel('x', [{ filename: 'x-1-py3-none-any.whl' }, { filename: 'x-1-3-py3-none-any.whl' }, { filename: 'x-1-12-py3-none-any.whl' }], ranking).filename, 'x-1-12-py3-none-any.whl');
  assert.equal(selectWheel('abi', [{ filename: 'abi-1-cp38-abi3-manylinux2014_x86_64.whl' }], ranking).filename, 'abi-1-cp38-abi3-manylinux2014_x86_64.whl');
});

test('no compatible wheel is a ResolutionError naming the package and the tags tried', () => {
  const ranking = new TagRanking(target());
  assert.throws(
    () => selectWheel('torch', [{ filename: 'torch-2.2.0-cp311-cp311-win_amd64.whl' }], ranking),
    (error: Error) => error instanceof ResolutionError && /^no compatible wheel for torch: none of its wheels \(torch-2\.2\.0-cp311-cp311-win_amd64\.whl\) fits; tried \d+ tags \(cp311-cp311-manylinux_2_36_x86_64, /.test(error.message),
  );
  assert.throws(() => selectWheel('sdist-only', [{ filename: 'sdist_only-1.0.tar.gz' }], ranking), /only source distributions, which kiln does not build/);
});
