import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { UsageError } from './errors.js';
import { threadCount } from './threads.js';

test('threadCount takes KILN_THREADS, defaults to the cores available, and refuses anything but a positive integer', () => {
  assert.equal(threadCount({}), availableParallelism());
  assert.equal(threadCount({ KILN_THREADS: '' }), availableParallelism());
  assert.equal(threadCount({ KILN_THREADS: '3' }), 3);
  for (const bad of ['0', '-1', 'two', '1.5', '99999']) {
    assert.throws(() => threadCount({ KILN_THREADS: bad }), (error: unknown) => error instanceof UsageError && /KILN_THREADS/.test(error.message), bad);
  }
});
