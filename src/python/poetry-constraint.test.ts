import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { poetryConstraintToPep440 } from './poetry-constraint.js';

test('poetryConstraintToPep440 converts caret, tilde, wildcards, bare versions and unions', () => {
  const cases: Array<[string, string]> = [
    ['*', ''],
    ['', ''],
    ['^1.2.3', '>=1.2.3,<2'],
    ['^0.2.3', '>=0.2.3,<0.3'],
    ['^0.0.3', '>=0.0.3,<0.0.4'],
    ['^3.11', '>=3.11,<4'],
    ['~1.2.3', '>=1.2.3,<1.3'],
    ['~1', '>=1,<2'],
    ['1.2.*', '==1.2.*'],
    ['2.31.0', '==2.31.0'],
    ['>= 1.0, < 2.0', '>=1.0,<2.0'],
    ['>=1.0 <2.0', '>=1.0,<2.0'],
    ['~=1.4', '~=1.4'],
    ['>=1.5.6,<1.5.7 || >1.5.7', '>=1.5.6,<1.5.7 || >1.5.7'],
    ['>=2.7,!=3.0.*', '>=2.7,!=3.0.*'],
    ['^1.0 || *', ''],
  ];
  for (const [poetry, pep440] of cases) assert.equal(poetryConstraintToPep440(poetry), pep440, poetry);
});

test('poetryConstraintToPep440 refuses garbage naming the file', () => {
  assert.throws(
    () => poetryConstraintToPep440('>=one', { file: 'pyproject.toml' }),
    (error: unknown) => error instanceof InputError && error.oneLine() === 'pyproject.toml: invalid version constraint ">=one"',
  );
});
