import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, MANIFEST_LIMIT, parseManifest } from './load.js';
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

test('a manifest over 4 MiB is refused in one line naming the file, before it is parsed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-load-'));
  const file = join(dir, 'kiln.yaml');
  await writeFile(file, `images:\n  hello:\n    base: oci:base\n    labels:\n${'      k: v\n'.repeat(500_000)}`);
  await assert.rejects(loadManifest(file), (error: Error) =>
    error instanceof ConfigError && error.oneLine() === `${file}: the manifest is 5.2 MiB; kiln reads manifests of at most 4 MiB`);
  assert.throws(() => parseManifest('kiln.yaml', 'x'.repeat(MANIFEST_LIMIT + 1)), /^ConfigError: the manifest is 4\.0 MiB; kiln reads manifests of at most 4 MiB$/);
});

test('large but legal manifests load in linear time (big maps, many includes, long preset chains)', { timeout: 120_000 }, () => {
  const keys = 40_000;
  const presets = 2_000;
  const includes = 5_000;
  const text = [
    'presets:',
    '  p0: { user: "1000" }',
    ...Array.from({ length: presets - 1 }, (_, i) => `  p${i + 1}: { extends: p${i}, labels: { l${i + 1}: x } }`),
    'images:',
    '  big:',
    '    base: oci:base',
    `    extends: p${presets - 1}`,
    '    env:',
    ...Array.from({ length: keys }, (_, i) => `      K${i}: v${i}`),
    '  many:',
    '    base: oci:base',
    '    matrix: { n: ["0"] }',
    '    include:',
    ...Array.from({ length: includes }, (_, i) => `      - { n: "${i + 1}" }`),
    '',
  ].join('\n');
  const started = Date.now();
  const { entries } = parseManifest('kiln.yaml', text, { env: {} });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(entries.length, 1 + includes + 1);
  assert.equal(Object.keys(entries.find((entry) => entry.name === 'big')!.spec.env).length, keys);
  assert.equal(entries.find((entry) => entry.name === 'big')!.spec.user, '1000');
  // Linear work here takes seconds even on a busy machine; the quadratic checks it guards against took over 5 minutes.
  assert.ok(seconds < 60, `${Buffer.byteLength(text)} bytes took ${seconds.toFixed(1)} s`);
});

test('a duplicate key is a YAML error at the second occurrence', () => {
  assert.equal(errorOf('images:\n  hello:\n    base: oci:base\n    env:\n      A: "1"\n      B: "2"\n      A: "3"\n'), 'kiln.yaml:7:7: YAML syntax: duplicate key "A" (map keys must be unique)');
});

test('platform, env names and user are validated with file:line:column', () => {
  const image = (extra: string): string => `images:\n  hello:\n    base: oci:base\n    ${extra}\n`;
  assert.match(errorOf(image('platform: windows/amd64')), /^kiln\.yaml:4:15: images\.hello\.platform: "windows\/amd64" is not a platform: use os\/arch\[\/variant\] with os linux and arch amd64\|arm64\|arm\|386\|ppc64le\|s390x\|riscv64/);
  assert.match(errorOf(image('platform: linux/amd65')), /^kiln\.yaml:4:15: images\.hello\.platform: /);
  assert.match(errorOf(image('platform: linux/arm/v7/x')), /^kiln\.yaml:4:15: images\.hello\.platform: /);
  assert.equal(errorOf(image('env: { "A=B": x }')), 'kiln.yaml:4:19: images.hello.env.A=B: an environment variable name cannot contain "=" or a NUL byte');
  assert.equal(errorOf(image('env: { "": x }')), 'kiln.yaml:4:16: images.hello.env.: an environment variable name cannot be empty');
  assert.equal(errorOf(image('env: { "A\\0B": x }')), 'kiln.yaml:4:20: images.hello.env.A\0B: an environment variable name cannot contain "=" or a NUL byte');
  for (const user of ['"a b"', '"1000:"', '":1000"', '"root:wheel:x"']) {
    assert.equal(errorOf(image(`user: ${user}`)), 'kiln.yaml:4:11: images.hello.user: user must be name|uid[:group|gid], e.g. 65532 or app:app', user);
  }
  for (const [extra, field, value] of [['platform: linux/arm/v7', 'platform', 'linux/arm/v7'], ['user: "app:app"', 'user', 'app:app'], ['user: 1000', 'user', '1000'], ['user: "1000:100"', 'user', '1000:100']] as const) {
    assert.equal(parseManifest('kiln.yaml', image(extra), { env: {} }).entries[0]!.spec[field], value);
  }
});

test('distro base components and layers: read as given, bad ones named at their line', () => {
  const base = 'images:\n  gpu:\n    entrypoint: [python3]\n    base:\n      distro: debian\n      release: bookworm\n      packages: [python3]\n';
  const { manifest } = parseManifest('kiln.yaml', `${base}      components: [main, non-free]\n      layers: {cuda: [libcudart11.0, libcublas11]}\n`);
  const spec = manifest.images.gpu!.base as { components?: string[]; layers?: Record<string, string[]> };
  assert.deepEqual(spec.components, ['main', 'non-free']);
  assert.deepEqual(spec.layers, { cuda: ['libcudart11.0', 'libcublas11'] });
  const plain = parseManifest('kiln.yaml', base).manifest.images.gpu!.base as { components?: string[]; layers?: unknown };
  assert.equal(plain.components, undefined, 'unset: the preset default applies');
  assert.match(errorOf(`${base}      components: [main, "non free"]\n`), /^kiln\.yaml:8:\d+: .*components\.1: a component is a word like main, non-free or universe/);
  assert.match(errorOf(`${base}      components: []\n`), /^kiln\.yaml:8:\d+: .*components/);
  assert.match(errorOf(`${base}      layers: {cuda: []}\n`), /^kiln\.yaml:8:\d+: .*layers\.cuda/);
});
