import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvssSeverity, rateFinding, scoreVector } from './severity.js';

test('CVSS vectors of every version are scored by the library and banded as CVSS defines', () => {
  assert.deepEqual(scoreVector('CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), { severity: 'CRITICAL', score: 9.8, source: 'CVSS_V3 9.8' });
  assert.deepEqual(scoreVector('CVSS_V3', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N'), { severity: 'HIGH', score: 7.5, source: 'CVSS_V3 7.5' });
  assert.deepEqual(scoreVector('CVSS_V2', 'AV:N/AC:L/Au:N/C:C/I:C/A:C'), { severity: 'HIGH', score: 10, source: 'CVSS_V2 10.0' }, 'v2 tops out at HIGH');
  assert.deepEqual(scoreVector('CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), { severity: 'CRITICAL', score: 9.3, source: 'CVSS_V4 9.3' });
  assert.equal(scoreVector('CVSS_V3', 'CVSS:3.1/AV:N'), undefined, 'an incomplete vector is no rating');
  assert.equal(scoreVector('CVSS_V3', 'garbage'), undefined);
  assert.equal(scoreVector('Ubuntu', 'high'), undefined);
  assert.deepEqual([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9].map((score) => cvssSeverity(score, 3)), ['LOW', 'LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH', 'CRITICAL']);
});

test('the distribution\'s own rating wins over CVSS; "not yet assigned" is none; without either, UNKNOWN', () => {
  const nvd = { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:S/C:N/I:N/A:P' };
  assert.deepEqual(rateFinding({ severity: [nvd], vendor: [{ kind: 'debian-urgency', value: 'unimportant' }] }), { severity: 'LOW', source: 'Debian urgency unimportant' });
  assert.deepEqual(rateFinding({ severity: [nvd], vendor: [{ kind: 'debian-urgency', value: 'not yet assigned' }] }), { severity: 'MEDIUM', score: 4, source: 'CVSS_V2 4.0' });
  assert.deepEqual(rateFinding({ severity: [{ type: 'Ubuntu', score: 'medium' }, { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }], vendor: [] }), { severity: 'MEDIUM', source: 'Ubuntu priority medium' });
  assert.deepEqual(rateFinding({ severity: [], vendor: [{ kind: 'ghsa', value: 'MODERATE' }] }), { severity: 'MEDIUM', source: 'GHSA MODERATE' });
  assert.deepEqual(rateFinding({ severity: [], vendor: [] }), { severity: 'UNKNOWN', source: 'no rating' });
});

test('of several CVSS ratings the highest score counts', () => {
  const rating = rateFinding({ severity: [
    { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
    { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
  ], vendor: [] });
  assert.equal(rating.score, 9.8);
});
