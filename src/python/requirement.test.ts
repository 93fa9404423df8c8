import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { parseRequirement } from './requirement.js';

test('parseRequirement reads names, extras, specifiers, URLs and markers', () => {
  assert.deepEqual(parseRequirement('requests'), { name: 'requests', extras: [], specifier: '' });
  assert.deepEqual(parseRequirement('Flask_SQLAlchemy[Async, PG] >= 3.0 , < 4 ; python_version >= "3.8"'), {
    name: 'flask-sqlalchemy',
    extras: ['async', 'pg'],
    specifier: '>=3.0,<4',
    marker: 'python_version >= "3.8"',
  });
  assert.deepEqual(parseRequirement('PySocks (>=1.5.6,!=1.5.7)'), { name: 'pysocks', extras: [], specifier: '>=1.5.6,!=1.5.7' });
  assert.deepEqual(parseRequirement('numpy==1.26.4;platform_machine=="x86_64"'), {
    name: 'numpy', extras: [], specifier: '==1.26.4', marker: 'platform_machine=="x86_64"',
  });
  assert.deepEqual(parseRequirement('shared @ file:///src/shared;x=1 ; os_name == "posix"'), {
    name: 'shared', extras: [], specifier: '', url: 'file:///src/shared;x=1', marker: 'os_name == "posix"',
  });
  assert.deepEqual(parseRequirement('torch[cuda] @ https://example.org/torch-2.0-py3-none-any.whl'), {
    name: 'torch', extras: ['cuda'], specifier: '', url: 'https://example.org/torch-2.0-py3-none-any.whl',
  });
});

test('parseRequirement rejects malformed requirements with the file and line', () => {
  for (const text of ['-e .', 'foo bar', 'foo[x', 'foo ; ', 'foo ; python_version >>= "3"', 'foo @']) {
    assert.throws(
      () => parseRequirement(text, { file: 'requirements.txt', line: 3 }),
      (error: unknown) => error instanceof InputError && error.oneLine().startsWith('requirements.txt:3: invalid'),
      text,
    );
  }
});
