import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compareVersions, parseRelation, parseVersion, satisfies } from './version.js';
import { InputError } from '../errors.js';

// Expected order by dpkg itself, so the table cannot drift from the reference implementation.
function dpkgCompare(a: string, b: string): number {
  for (const [op, result] of [['lt', -1], ['eq', 0]] as const) {
    try {
      execFileSync('dpkg', ['--compare-versions', a, op, b], { stdio: 'ignore' });
      return result;
    } catch {
      // not this relation
    }
  }
  return 1;
}

const pairs: Array<[string, string, number]> = [
  ['1.0', '1.0', 0],
  ['1.0', '1.0-0', 0],
  ['1.0', '1.1', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0+b1', -1],
  ['1.0a', '1.0+', -1],
  ['1.0a', '1.0', 1],
  ['1:0.1', '2.0', 1],
  ['0:2.0', '2.0', 0],
  ['2.0-1', '2.0-1.1', -1],
  ['2.0-1', '2.0-1~bpo1', 1],
  ['1.01', '1.1', 0],
  ['1.002', '1.2', 0],
  ['1.10', '1.9', 1],
  ['3.11.2-6+deb12u1', '3.11.2-6', 1],
  ['3.11.2-6+deb12u1', '3.11.2-6+deb12u2', -1],
  ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
  ['1.2.3-a', '1.2.3-A', 1],
  ['1.0.0', '1.0', 1],
  ['1.0-a-b', '1.0-a', 1],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', -1],
  ['1:1.2.13.dfsg-1', '1:1.2.11.dfsg-2+deb11u2', 1],
  ['9.9999999999999999999999', '9.10000000000000000000000', -1],
  ['a', 'b', -1],
  ['1.0+dfsg', '1.0.dfsg', -1],
];

test('compareVersions agrees with dpkg --compare-versions on a table', () => {
  for (const [a, b, expected] of pairs) {
    assert.equal(dpkgCompare(a, b), expected, `dpkg's own order for ${a} vs ${b} (table check)`);
    assert.equal(Math.sign(compareVersions(a, b)), expected, `${a} vs ${b}`);
    assert.equal(Math.sign(compareVersions(b, a)), 0 - expected || 0, `${b} vs ${a}`);
  }
});

test('compareVersions agrees with dpkg on random versions', () => {
  // Seeded generator so a failure reproduces.
  let seed = 42;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = '0123456789.~+ab';
  const piece = (): string => {
    let text = String(next(10));
    for (let k = next(6); k > 0; k--) text += alphabet[next(alphabet.length)];
    return text;
  };
  const random = (): string => `${next(4) === 0 ? `${next(3)}:` : ''}${piece()}${next(2) ? `-${piece()}` : ''}`;
  for (let k = 0; k < 150; k++) {
    const a = random();
    const b = next(3) === 0 ? a.replace(/\d/, (d) => String((Number(d) + 1) % 10)) : random();
    assert.equal(Math.sign(compareVersions(a, b)), dpkgCompare(a, b), `${a} vs ${b}`);
  }
});

test('parseVersion splits epoch, upstream and the last revision', () => {
  assert.deepEqual(parseVersion('2:1.0-beta-3'), { epoch: 2, upstream: '1.0-beta', revision: '3' });
  assert.deepEqual(parseVersion('1.0'), { epoch: 0, upstream: '1.0', revision: '' });
  assert.throws(() => parseVersion('x:1.0', 'libfoo'), (e) => e instanceof InputError && /libfoo: epoch/.test(e.message));
  assert.throws(() => parseVersion('-1'), InputError);
});

test('satisfies checks each relation', () => {
  assert.ok(satisfies('2.1-1', '>=', '2'));
  assert.ok(!satisfies('1.9', '>=', '2'));
  assert.ok(satisfies('1.9', '<<', '2'));
  assert.ok(!satisfies('2', '<<', '2'));
  assert.ok(satisfies('2', '<=', '2'));
  assert.ok(satisfies('2.0-0', '=', '2.0'));
  assert.ok(!satisfies('2.0-1', '=', '2.0'));
  assert.ok(satisfies('2.0-1', '>>', '2.0'));
  assert.ok(!satisfies('2.0~rc1', '>>', '2.0'));
  assert.equal(parseRelation('<'), '<=');
  assert.equal(parseRelation('>'), '>=');
  assert.throws(() => parseRelation('=>'), InputError);
});
