import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { evaluateMarker, markerEnvironment, parseMarker } from './markers.js';
import { targetEnvironment } from './target.js';

const amd64 = markerEnvironment(targetEnvironment({ architecture: 'amd64', pythonFullVersion: '3.11.2' }));
const arm64 = markerEnvironment(targetEnvironment({ architecture: 'arm64', pythonFullVersion: '3.11.2' }), {
  extras: ['GPU_Support'],
  groups: ['dev'],
});

const cases: Array<[marker: string, onAmd64: boolean, onArm64: boolean]> = [
  ['python_version >= "3.8"', true, true],
  ['python_version < "3.10"', false, false],
  ['python_version > "3.9" and python_version < "4.0"', true, true],
  ['python_full_version >= "3.11.1"', true, true],
  ['python_full_version < "3.11.1"', false, false],
  ['python_version == "3.11.*"', true, true],
  ['python_version == "3.10.*"', false, false],
  ['python_full_version == "3.11.*"', true, true],
  ['python_version ~= "3.8"', true, true],
  ['python_version != "3.11"', false, false],
  ['"3.8" <= python_version', true, true],
  ['platform_machine == "x86_64"', true, false],
  ['platform_machine == "aarch64" or platform_machine == "arm64"', false, true],
  ['sys_platform == "linux" and (platform_machine == "x86_64" or platform_machine == "aarch64")', true, true],
  ['sys_platform == "win32" or sys_platform == "darwin"', false, false],
  ['sys_platform != "win32"', true, true],
  ['platform_system == "Linux"', true, true],
  ['os_name == "nt"', false, false],
  ['implementation_name == "cpython"', true, true],
  ['platform_python_implementation == "CPython"', true, true],
  ['platform_python_implementation != "PyPy"', true, true],
  ["'linux' in sys_platform", true, true],
  ['"arm" not in platform_machine', true, true],
  ['platform_machine in "x86_64 AMD64"', true, false],
  ['extra == "gpu-support"', false, true],
  ['extra == "gpu_support" and platform_machine == "aarch64"', false, true],
  ['extra != "gpu-support"', true, false],
  ['"gpu-support" in extras', false, true],
  ['"dev" in dependency_groups', false, true],
  ['"dev" not in dependency_groups', true, false],
  ["os.name == 'posix'", true, true],
  ['(python_version < "3.8" or (python_version >= "3.11" and platform_machine == "x86_64"))', true, false],
];

test('evaluateMarker follows PEP 508 against a target', () => {
  for (const [marker, onAmd64, onArm64] of cases) {
    assert.equal(evaluateMarker(marker, amd64), onAmd64, `${marker} on amd64`);
    assert.equal(evaluateMarker(marker, arm64), onArm64, `${marker} on arm64`);
  }
});

test('evaluateMarker treats an absent or blank marker as true', () => {
  assert.equal(evaluateMarker(undefined, amd64), true);
  assert.equal(evaluateMarker('  ', amd64), true);
});

test('and binds tighter than or', () => {
  assert.deepEqual(parseMarker('os_name == "a" or os_name == "b" and os_name == "c"'), {
    kind: 'or',
    left: { kind: 'compare', left: { kind: 'variable', name: 'os_name' }, op: '==', right: { kind: 'string', value: 'a' } },
    right: {
      kind: 'and',
      left: { kind: 'compare', left: { kind: 'variable', name: 'os_name' }, op: '==', right: { kind: 'string', value: 'b' } },
      right: { kind: 'compare', left: { kind: 'variable', name: 'os_name' }, op: '==', right: { kind: 'string', value: 'c' } },
    },
  });
  assert.equal(evaluateMarker('os_name == "posix" or os_name == "x" and os_name == "y"', amd64), true);
  assert.equal(evaluateMarker('(os_name == "posix" or os_name == "x") and os_name == "y"', amd64), false);
});

test('parseMarker names the file and the problem in one line', () => {
  for (const [text, problem] of [
    ['python_version >= "3.8" and', /expected a marker variable/],
    ['python_version >= "3.8', /unterminated string/],
    ['pyton_version >= "3.8"', /unknown marker variable pyton_version/],
    ['(python_version >= "3.8"', /missing "\)"/],
    ['python_version "3.8"', /expected a comparison operator/],
  ] as const) {
    assert.throws(
      () => parseMarker(text, { file: 'poetry.lock', line: 7 }),
      (error: unknown) =>
        error instanceof InputError && problem.test(error.message) && error.oneLine().startsWith('poetry.lock:7: invalid marker'),
      text,
    );
  }
});
