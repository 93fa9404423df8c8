import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeEntryPath, symlinkEscapes } from './entry.js';

test('normalizeEntryPath cleans paths and refuses ..', () => {
  assert.equal(normalizeEntryPath('./usr//lib/', 'x'), 'usr/lib');
  assert.equal(normalizeEntryPath('/app', 'x'), 'app');
  assert.throws(() => normalizeEntryPath('usr/../../etc', 'pkg foo'), /pkg foo: path "usr\/..\/..\/etc" escapes the image root/);
});

test('symlinkEscapes spots relative links that climb above the root', () => {
  assert.equal(symlinkEscapes('app/link', '../etc/passwd'), false);
  assert.equal(symlinkEscapes('app/link', '../../etc/passwd'), true);
  assert.equal(symlinkEscapes('app/a/b', '../../x'), false);
  assert.equal(symlinkEscapes('app/link', '/etc/passwd'), false, 'absolute targets resolve inside the container root');
});
