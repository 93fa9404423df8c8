import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { isExpired, parseIgnoreText } from './ignore-file.js';

test('an ignore file is a list of rules with id, optional package, reason and expiry, each with its line', () => {
  const rules = parseIgnoreText('ignore.yaml', [
    '# accepted findings',
    '- id: CVE-2023-45853',
    '  package: zlib1g',
    '  reason: minizip is not shipped',
    '  expires: 2099-12-31',
    '- id: CVE-2010-4756',
    '  reason: "glob DoS: nothing calls glob on user input"',
  ].join('\n'));
  assert.deepEqual(rules, [
    { id: 'CVE-2023-45853', package: 'zlib1g', reason: 'minizip is not shipped', expires: '2099-12-31', line: 2 },
    { id: 'CVE-2010-4756', reason: 'glob DoS: nothing calls glob on user input', line: 6 },
  ]);
  assert.equal(isExpired(rules[0]!, '2099-12-31'), false, 'a rule holds through its expiry day');
  assert.equal(isExpired(rules[0]!, '2100-01-01'), true);
  assert.equal(isExpired(rules[1]!, '2100-01-01'), false, 'no expiry, no end');
});

function fails(text: string, expected: string): void {
  assert.throws(() => parseIgnoreText('ignore.yaml', text), (error: unknown) => error instanceof InputError && error.oneLine() === expected);
}

test('bad input: a bad date, a missing reason or a file that is not a list is one line with file:line', () => {
  fails('- id: CVE-1\n  reason: ok\n- id: CVE-2\n  reason: ok\n  expires: 2024-02-30\n', 'ignore.yaml:5: ignore file: expires must be a date, YYYY-MM-DD');
  fails('- id: CVE-1\n  reason: ok\n  expires: next week\n', 'ignore.yaml:3: ignore file: expires must be a date, YYYY-MM-DD');
  fails('- id: CVE-1\n  package: zlib1g\n', 'ignore.yaml:1: ignore file: reason is required: say why this finding is accepted');
  fails('- id: CVE-1\n  reason: ok\n  until: 2025-01-01\n', 'ignore.yaml:1: ignore file: Unrecognized key: "until"');
  fails('ignore: [CVE-1]\n', 'ignore.yaml:1: ignore file: an ignore file is a YAML list of {id, package, reason, expires}');
  fails('- id: [\n', 'ignore.yaml:2:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]');
});
