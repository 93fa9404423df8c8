import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStanza, parseDeb822 } from './deb822.js';
import { InputError } from '../errors.js';

const text = `# a comment before anything
Package: python3
Version: 3.11.2-1+b1
Depends: python3.11 (>= 3.11.2-1~),
 libpython3-stdlib (= 3.11.2-1+b1)
Description: interactive high-level object-oriented language
 Python is an interpreted language.
 .
 This is the default version.

Package: libc6
# comments inside a stanza are dropped
Multi-Arch: same
\t
package: lowercase-field
`;

test('parseDeb822 keeps field order, continuation lines and line numbers', () => {
  const stanzas = parseDeb822(text, 'Packages');
  assert.equal(stanzas.length, 3);
  const [python, libc, lower] = stanzas;
  assert.deepEqual(python!.fields.map(([f]) => f), ['Package', 'Version', 'Depends', 'Description']);
  assert.equal(python!.get('depends'), 'python3.11 (>= 3.11.2-1~),\n libpython3-stdlib (= 3.11.2-1+b1)');
  assert.equal(python!.line, 2);
  assert.deepEqual(libc!.fields, [['Package', 'libc6'], ['Multi-Arch', 'same']]);
  assert.equal(lower!.get('Package'), 'lowercase-field');
  assert.equal(python!.get('Missing'), undefined);
});

test('formatStanza round-trips a stanza', () => {
  const [python] = parseDeb822(text);
  assert.equal(formatStanza(python!.fields), text.split('\n\n')[0]!.replace(/^#.*\n/, '') + '\n');
});

test('lines splits multi-line fields such as a Release file list', () => {
  const [release] = parseDeb822('Codename: bookworm\nSHA256:\n abc 12 main/binary-amd64/Packages\n def 34 main/binary-amd64/Packages.xz\n');
  assert.equal(release!.get('SHA256'), '\n abc 12 main/binary-amd64/Packages\n def 34 main/binary-amd64/Packages.xz');
  assert.deepEqual(release!.lines('SHA256'), ['abc 12 main/binary-amd64/Packages', 'def 34 main/binary-amd64/Packages.xz']);
  assert.equal(formatStanza(release!.fields), 'Codename: bookworm\nSHA256:\n abc 12 main/binary-amd64/Packages\n def 34 main/binary-amd64/Packages.xz\n');
});

test('parseDeb822 names file:line for malformed input', () => {
  assert.throws(() => parseDeb822('Package: a\nnot a field\n', 'Packages'), (e) =>
    e instanceof InputError && e.oneLine() === 'Packages:2: expected "Field: value", got "not a field"');
  assert.throws(() => parseDeb822(' leading continuation\n', 'control'), (e) => e instanceof InputError && e.where?.line === 1);
});
