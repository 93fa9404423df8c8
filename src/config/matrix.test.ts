import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandMatrix, selects, type Fail } from './matrix.js';

const fail: Fail = (path, message, key) => {
  throw new Error(`${[...path, ...(key ? [key] : [])].join('.')}: ${message}`);
};

test('expandMatrix: product in axis order, minus excludes, plus includes', () => {
  const combinations = expandMatrix({
    axes: { python: ['3.11', '3.13'], variant: ['cpu', 'gpu'] },
    exclude: [{ python: '3.13', variant: 'gpu' }],
    include: [{ python: '3.12', variant: 'cpu' }],
  }, fail);
  assert.deepEqual(combinations, [
    { python: '3.11', variant: 'cpu' },
    { python: '3.11', variant: 'gpu' },
    { python: '3.13', variant: 'cpu' },
    { python: '3.12', variant: 'cpu' },
  ]);
  assert.deepEqual(expandMatrix({ axes: {}, include: [], exclude: [] }, fail), [{}]);
});

test('selects matches every key, lists as alternatives', () => {
  assert.ok(selects({ python: ['3.11', '3.12'] }, { python: '3.12', variant: 'cpu' }));
  assert.ok(!selects({ python: '3.11', variant: 'gpu' }, { python: '3.11', variant: 'cpu' }));
});

test('expandMatrix rejects excludes that match nothing, unknown axes and incomplete includes', () => {
  const axes = { python: ['3.11'], variant: ['cpu', 'gpu'] };
  assert.throws(() => expandMatrix({ axes, include: [], exclude: [{ python: '3.9' }] }, fail), /^Error: exclude\.0: exclude \{python: 3\.9\} matches no entry/);
  assert.throws(() => expandMatrix({ axes, include: [], exclude: [{ pyhton: '3.11' }] }, fail), /^Error: exclude\.0\.pyhton: unknown axis "pyhton" \(did you mean "python"\? axes: python, variant\)/);
  assert.throws(() => expandMatrix({ axes, include: [{ python: '3.12' }], exclude: [] }, fail), /include\.0: include needs a value for every axis: "variant" is missing/);
  assert.throws(() => expandMatrix({ axes: { python: [] }, include: [], exclude: [] }, fail), /matrix\.python: axis "python" has no values/);
});
