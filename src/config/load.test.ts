import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from './load.js';
import { ConfigError } from '../errors.js';

function errorOf(text: string): string {
  try {
    parseManifest('kiln.yaml', text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.oneLine();
  }
  assert.fail('no error');
}

test('a valid manifest gets defaults', () => {
  const { manifest } = parseManifest('kiln.yaml', 'images:\n  hello:\n    base: oci:base\n    entrypoint: [python3, /app/server.py]\n    ports: [8080]\n');
  const image = manifest.images.hello!;
  assert.equal(image.user, '65532');
  assert.deepEqual(image.env, {});
  assert.equal(image.platform, 'linux/amd64');
  assert.deepEqual(image.entrypoint, ['python3', '/app/server.py']);
});

test('YAML syntax errors name line and column', () => {
  assert.match(errorOf('images:\n  hello:\n    base: [oci:base\n'), /^kiln\.yaml:\d+:\d+: YAML syntax: /);
});

test('a typo in a key is reported at its line with a suggestion', () => {
  const message = errorOf('images:\n  hello:\n    base: oci:base\n    entrypiont: [python3]\n');
  assert.equal(message, 'kiln.yaml:4:5: unknown key "entrypiont" in images.hello (did you mean "entrypoint"?)');
});

test('a wrong type is reported at the value', () => {
  const message = errorOf('images:\n  hello:\n    base: oci:base\n    ports: [http]\n');
  assert.match(message, /^kiln\.yaml:4:\d+: images\.hello\.ports\.0: /);
});

test('a missing base is reported at the image', () => {
  assert.match(errorOf('images:\n  hello:\n    user: "1000"\n'), /^kiln\.yaml:3:\d+: images\.hello\.base: /);
});
