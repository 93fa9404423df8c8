import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from './load.js';
import { parseOverrideValue } from './overrides.js';
import { ConfigError } from '../errors.js';

const MANIFEST = [
  'images:',
  '  hello:',
  '    base: oci:base',
  '    tags: [latest]',
  '    python:',
  '      lock: poetry.lock',
  '  my.app:',
  '    base: oci:base',
  '',
].join('\n');

function errorOf(overrides: string[]): string {
  try {
    parseManifest('kiln.yaml', MANIFEST, { overrides });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.oneLine();
  }
  assert.fail('no error');
}

test('--set values are YAML flow scalars and lists; numbers keep their text (3.10 stays 3.10)', () => {
  assert.equal(parseOverrideValue('3.10', '--set x'), '3.10');
  assert.equal(parseOverrideValue('true', '--set x'), true);
  assert.equal(parseOverrideValue('plain text', '--set x'), 'plain text');
  assert.deepEqual(parseOverrideValue('[a, b]', '--set x'), ['a', 'b']);
  assert.deepEqual(parseOverrideValue('[3.10, "3.11"]', '--set x'), ['3.10', '3.11']);
  assert.deepEqual(parseOverrideValue('{A: 1}', '--set x'), { A: '1' });
  assert.equal(parseOverrideValue('a: b', '--set x'), 'a: b');
  assert.throws(() => parseOverrideValue('[a,', '--set x'), /^ConfigError: --set x: "\[a," is not a YAML value/);
});

test('--set overrides kiln.yaml before validation: existing keys, new keys, dotted image names, later wins', () => {
  const { manifest } = parseManifest('kiln.yaml', MANIFEST, {
    overrides: ['images.hello.tags=[a,b]', 'images.hello.python.lock=uv.lock', 'images.hello.env.MODE=fast', 'images.my.app.user=1000', 'images.hello.tags=[c]'],
  });
  assert.deepEqual(manifest.images.hello!.tags, ['c']);
  assert.equal(manifest.images.hello!.python?.lock, 'uv.lock');
  assert.deepEqual(manifest.images.hello!.env, { MODE: 'fast' });
  assert.equal(manifest.images['my.app']!.user, '1000');
  // The file itself is untouched by a load without overrides.
  assert.deepEqual(parseManifest('kiln.yaml', MANIFEST).manifest.images.hello!.tags, ['latest']);
});

test('a bad --set path or value is one line naming the --set', () => {
  assert.equal(errorOf(['images.helo.tags=[a]']), '--set images.helo.tags: kiln.yaml has no image "helo" (did you mean "hello"?)');
  assert.equal(errorOf(['images.hello.base.x=1']), '--set images.hello.base.x: images.hello.base is the value "oci:base", so it has no "x"');
  assert.equal(errorOf(['images.hello.tags']), '--set images.hello.tags: expected PATH=VALUE (e.g. --set images.NAME.tags=[latest])');
  assert.equal(errorOf(['images..tags=a']), '--set images..tags: expected a dotted path of kiln.yaml keys (e.g. images.NAME.python.version)');
  assert.equal(errorOf(['images.hello.tags.5=a']), '--set images.hello.tags.5: images.hello.tags is a list of 1; "5" is not an index in it');
  assert.match(errorOf(['images.hello.entrypiont=[sh]']), /^--set images\.hello\.entrypiont: unknown key "entrypiont" in images\.hello \(did you mean "entrypoint"\?\)$/);
  assert.match(errorOf(['images.hello.ports=[http]']), /^--set images\.hello\.ports: /);
  // An error elsewhere in the file still points at the file.
  assert.throws(() => parseManifest('kiln.yaml', `${MANIFEST}    ports: [http]\n`, { overrides: ['images.hello.tags=[a]'] }), (error: ConfigError) => /^kiln\.yaml:9:\d+: images\.my\.app\.ports\.0: /.test(error.oneLine()));
});
