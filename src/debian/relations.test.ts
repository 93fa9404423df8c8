import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { formatGroup, parseRelations } from './relations.js';

test('parseRelations reads alternatives, versions, arch qualifiers and restrictions', () => {
  const groups = parseRelations('libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0, python3:any (>> 3.9~), libfoo [!arm64], Perl <!nocheck>', 'x', 'arm64');
  assert.deepEqual(groups, [
    [{ name: 'libc6', relation: '>=', version: '2.36' }],
    [{ name: 'debconf', relation: '>=', version: '0.5' }, { name: 'debconf-2.0' }],
    [{ name: 'python3', arch: 'any', relation: '>>', version: '3.9~' }],
    [{ name: 'perl' }],
  ]);
  assert.equal(formatGroup(groups[1]!), 'debconf (>= 0.5) | debconf-2.0');
  assert.equal(parseRelations('libfoo [!arm64]', 'x', 'amd64').length, 1);
  assert.deepEqual(parseRelations('a (< 1)', 'x'), [[{ name: 'a', relation: '<=', version: '1' }]]);
  assert.deepEqual(parseRelations(undefined, 'x'), []);
  assert.deepEqual(parseRelations('a,\n b', 'x'), [[{ name: 'a' }], [{ name: 'b' }]]);
});

test('parseRelations names the field of a malformed relation', () => {
  assert.throws(() => parseRelations('libc6 (>= )', 'python3 3.11 Depends'), (e) =>
    e instanceof InputError && e.message === 'python3 3.11 Depends: cannot parse relation "libc6 (>= )"');
});
