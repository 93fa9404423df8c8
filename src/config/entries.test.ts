import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from './load.js';
import { ConfigError } from '../errors.js';

const MATRIX = `
defaults:
  user: "1000"
  env: { LANG: C.UTF-8 }
vars:
  org: acme
presets:
  server:
    base: { distro: debian, packages: [python3] }
    env: { PORT: "8080" }
  gpu:
    extends: server
    env: { DEVICE: cuda }
    labels: { accelerator: nvidia }
registries:
  local:
    repository: 127.0.0.1:5000/acme
  hub:
    repository: docker.io/acme
    only_if: HUB_TOKEN
images:
  sklearn:
    extends: [server]
    matrix:
      python: ["3.11", "3.13"]
      variant: [cpu, gpu]
    base: { release: bookworm }
    app: { src: servers/sklearn }
    entrypoint: [python3, /app/server.py]
    labels: { org: "{org}", python: "{python}" }
    tags: ["{python}-{variant}", "{python}-{variant}-{git.short}"]
    overrides:
      - when: { python: "3.13" }
        set: { base: { release: trixie } }
      - when: { variant: gpu }
        set: { env: { DEVICE: cuda } }
`;

function errorOf(text: string): string {
  try {
    parseManifest('kiln.yaml', text, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.oneLine();
  }
  assert.fail('no error');
}

test('a matrix expands in axis order with presets, overrides and rendered tags', () => {
  const { entries } = parseManifest('kiln.yaml', MATRIX.replace('        set: { env: { DEVICE: cuda } }', '        set: { env: { DEVICE: cuda } }'), { env: {} });
  assert.deepEqual(entries.map((entry) => entry.name), ['sklearn/3.11-cpu', 'sklearn/3.11-gpu', 'sklearn/3.13-cpu', 'sklearn/3.13-gpu']);
  const [cpu311, gpu311, cpu313] = entries;
  assert.deepEqual(cpu311!.axes, { python: '3.11', variant: 'cpu' });
  assert.equal(typeof cpu311!.spec.base === 'object' && cpu311!.spec.base.release, 'bookworm');
  assert.equal(typeof cpu313!.spec.base === 'object' && cpu313!.spec.base.release, 'trixie');
  // defaults < preset < image < override, maps merged key by key.
  assert.deepEqual(cpu311!.spec.env, { LANG: 'C.UTF-8', PORT: '8080' });
  assert.deepEqual(gpu311!.spec.env, { LANG: 'C.UTF-8', PORT: '8080', DEVICE: 'cuda' });
  assert.equal(cpu311!.spec.user, '1000');
  assert.deepEqual(cpu311!.spec.labels, { org: 'acme', python: '3.11' });
  assert.match(cpu311!.tags[1]!, /^3\.11-cpu-[0-9a-f]{7}$/);
  assert.equal(cpu311!.tags[0], '3.11-cpu');
  assert.deepEqual(cpu311!.publish, ['local', 'hub']);
});

test('{env.NAME} reads the environment in tags and fields; an unset one is one line at its place', () => {
  const text = 'images:\n  hello:\n    base: scratch\n    publish: false\n    tags: ["{env.BUILD_ID}"]\n    labels: { ci: "{env.CI_NAME}-x" }\n';
  const { entries } = parseManifest('kiln.yaml', text, { env: { BUILD_ID: '1234', CI_NAME: 'argo' } });
  assert.deepEqual([entries[0]!.tags, entries[0]!.spec.labels], [['1234'], { ci: 'argo-x' }]);
  assert.throws(() => parseManifest('kiln.yaml', text, { env: { CI_NAME: 'argo' } }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.oneLine(), /^kiln\.yaml:5:\d+: \{env\.BUILD_ID\} in "\{env\.BUILD_ID\}": environment variable BUILD_ID is not set$/);
    return true;
  });
});

test('a plain image is one entry named like the image, tagged latest', () => {
  const { entries } = parseManifest('kiln.yaml', 'images:\n  hello:\n    base: scratch\n    publish: false\n', { env: {} });
  assert.deepEqual(entries.map((e) => [e.name, e.tags, e.publish, e.scan]), [['hello', ['latest'], [], false]]);
});

test('scan: true gates on CRITICAL and HIGH; a policy sets severities, unfixed and an ignore file beside kiln.yaml', () => {
  const scanOf = (setting: string): unknown => parseManifest('/work/kiln.yaml', `images:\n  hello:\n    base: scratch\n    scan: ${setting}\n`, { env: {} }).entries[0]!.scan;
  assert.deepEqual(scanOf('true'), { severity: ['CRITICAL', 'HIGH'], ignoreUnfixed: false });
  assert.equal(scanOf('false'), false);
  assert.deepEqual(scanOf('{severity: [CRITICAL], ignore_unfixed: true, ignorefile: .kilnignore.yaml}'), { severity: ['CRITICAL'], ignoreUnfixed: true, ignorefile: '/work/.kilnignore.yaml' });
  assert.match(errorOf('images:\n  hello:\n    base: scratch\n    scan: {severity: [SEVERE]}\n'), /^kiln\.yaml:4:.*scan/);
});

test('{version} comes from pyproject, else from version_file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-version-'));
  await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "demo"\nversion = "1.4.2"\n');
  await writeFile(join(dir, 'version.txt'), '2.0.0rc1\n');
  const manifest = (appSrc: string) => `version_file: version.txt\nimages:\n  demo:\n    base: scratch\n    app: { src: ${appSrc} }\n    tags: ["{version}", "v{version}-{date}"]\n`;
  const fromPyproject = parseManifest(join(dir, 'kiln.yaml'), manifest('.'), { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.deepEqual(fromPyproject.entries[0]!.tags, ['1.4.2', 'v1.4.2-20231114']);
  const fromFile = parseManifest(join(dir, 'kiln.yaml'), manifest('/nonexistent'), { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.deepEqual(fromFile.entries[0]!.tags, ['2.0.0rc1', 'v2.0.0rc1-20231114']);
});

test('acceptance: a typo, a wrong type, an unknown preset, a dead exclude, an unknown variable: one line each at file:line:column', () => {
  assert.equal(errorOf(MATRIX.replace('    entrypoint:', '    entrypiont:')), 'kiln.yaml:29:5: unknown key "entrypiont" in images.sklearn (did you mean "entrypoint"?)');
  assert.equal(errorOf(MATRIX.replace('  user: "1000"', '  user: [1000]')), 'kiln.yaml:3:9: defaults.user: Invalid input: expected string, received array');
  assert.equal(errorOf(MATRIX.replace('extends: [server]', 'extends: [sever]')), 'kiln.yaml:23:15: unknown preset "sever" (did you mean "server"?)');
  assert.equal(errorOf(MATRIX.replace('    overrides:', '    exclude: [{ python: "3.12" }]\n    overrides:')),
    'kiln.yaml:32:15: exclude {python: 3.12} matches no entry of the matrix');
  assert.equal(errorOf(MATRIX.replace('"{python}-{variant}-{git.short}"', '"{python}-{varaint}"')),
    'kiln.yaml:31:34: unknown variable {varaint} in "{python}-{varaint}" (did you mean {variant}?); known: {org} {python} {variant} {image} {git.sha} {git.short} {date} {version}');
});

test('more mistakes: unknown axis in an override, unknown registry, a dangling override, a clashing tag, a decimal version, a missing base', () => {
  assert.equal(errorOf(MATRIX.replace('when: { python: "3.13" }', 'when: { pyton: "3.13" }')),
    'kiln.yaml:33:17: unknown axis "pyton" (did you mean "python"? axes: python, variant)');
  assert.equal(errorOf(MATRIX.replace('    tags:', '    publish: [locl]\n    tags:')), 'kiln.yaml:31:15: unknown registry "locl" (did you mean "local"?)');
  assert.equal(errorOf(MATRIX.replace('when: { variant: gpu }', 'when: { variant: tpu }')), 'kiln.yaml:35:15: override when {variant: tpu} matches no entry of the matrix');
  assert.equal(errorOf(MATRIX.replace('tags: ["{python}-{variant}", "{python}-{variant}-{git.short}"]', 'tags: ["{python}"]')),
    'kiln.yaml:31:12: tag "sklearn:3.11" would be pushed by both sklearn/3.11-cpu and sklearn/3.11-gpu: add a matrix variable to the tag');
  assert.match(errorOf(MATRIX.replace('python: ["3.11", "3.13"]', 'python: [3.10, "3.13"]')), /^kiln\.yaml:25:\d+: images\.sklearn\.matrix\.python\.0: a decimal number here loses digits in YAML/);
  assert.equal(errorOf(MATRIX.replace('    extends: [server]\n', '')), 'kiln.yaml:26:11: images.sklearn.base.distro: Invalid option: expected one of "debian"|"ubuntu" (entry sklearn/3.11-cpu)');
  assert.match(errorOf(MATRIX.replace('    extends: server\n', '    extends: gpu\n')), /^kiln\.yaml:12:14: preset "gpu" extends itself \(gpu -> gpu\)/);
});

test('merge order: defaults < presets (extends in order, a preset\'s own extends first) < image < overrides in order; lists replace, maps merge', () => {
  const { entries } = parseManifest('kiln.yaml', `
defaults:
  user: "1"
  env: { A: defaults, B: defaults, C: defaults, D: defaults, E: defaults }
  ports: [1]
presets:
  p0:
    env: { B: p0, C: p0, D: p0, E: p0 }
  p1:
    extends: p0
    env: { C: p1, D: p1, E: p1 }
    ports: [2, 3]
  p2:
    env: { D: p2, E: p2 }
    user: "2"
images:
  app:
    extends: [p1, p2]
    base: scratch
    matrix: { v: [x, y] }
    env: { E: image }
    overrides:
      - when: { v: y }
        set: { env: { E: first }, ports: [4] }
      - when: { v: y }
        set: { env: { E: second } }
`, { env: {} });
  const [x, y] = entries;
  assert.deepEqual(x!.spec.env, { A: 'defaults', B: 'p0', C: 'p1', D: 'p2', E: 'image' });
  assert.equal(x!.spec.user, '2', 'a later preset wins over an earlier one and the defaults');
  assert.deepEqual(x!.spec.ports, [2, 3], 'a list is replaced, not appended to');
  assert.deepEqual(y!.spec.env, { A: 'defaults', B: 'p0', C: 'p1', D: 'p2', E: 'second' }, 'overrides apply in order, the last match wins');
  assert.deepEqual(y!.spec.ports, [4]);
});

test('sources: source:NAME paths point into the synced tree and {source.NAME.*} fill tags; an unknown source is located', () => {
  const text = [
    'sources:',
    '  kserve:',
    '    git: https://example.org/kserve.git',
    '    ref: v0.15.2',
    '    paths: [python/]',
    '    version_file: python/VERSION',
    'images:',
    '  sklearnserver:',
    '    base: scratch',
    '    python: {project: "source:kserve/python/sklearnserver"}',
    '    tags: ["{source.kserve.version}", "{source.kserve.short}", "{source.kserve.ref}-{source.kserve.commit}"]',
    '',
  ].join('\n');
  const commit = 'a'.repeat(40);
  const sources = [{ name: 'kserve', dir: '/cache/sources/abc', commit, ref: 'v0.15.2', version: '0.15.2' }];
  const [entry] = parseManifest('/work/kiln.yaml', text, { env: {}, sources }).entries;
  assert.equal(entry!.spec.python?.project, '/cache/sources/abc/python/sklearnserver');
  assert.deepEqual(entry!.tags, ['0.15.2', 'aaaaaaa', `v0.15.2-${commit}`]);

  assert.throws(() => parseManifest('/work/kiln.yaml', text.replace('source:kserve/', 'source:kserv/'), { env: {}, sources }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.oneLine(), '/work/kiln.yaml:10:23: unknown source "kserv" in "source:kserv/python/sklearnserver" (did you mean "kserve"?)');
    return true;
  });
  assert.throws(() => parseManifest('/work/kiln.yaml', text.replace('    version_file: python/VERSION\n', ''), { env: {}, sources: [{ ...sources[0]!, version: undefined }] as never }), /source kserve names no version_file/);
  assert.throws(() => parseManifest('/work/kiln.yaml', text.replace('paths: [python/]', 'paths: [../etc]'), { env: {}, sources }), (error: unknown) => error instanceof ConfigError && /^\/work\/kiln\.yaml:5:\d+: sources\.kserve\.paths\.0: must be a path inside the source/.test(error.oneLine()));
});
