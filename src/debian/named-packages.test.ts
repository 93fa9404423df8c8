// A package the user names is never dropped silently: one the distroless variant would leave out (bash) is
// installed and the plan says why; one named in both packages and exclude is left out with a warning that kiln plan
// and kiln build print. Against a real signed repository served over HTTP, and the real CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAptRepo, type AptRepoPackage } from '../testing/apt-repo.js';
import { tempDir, tempStore } from '../testing/images.js';
import { runKiln } from '../testing/cli.js';
import { readOciLayout } from '../places/oci-layout.js';
import { readLayerTree } from '../testing/layer-tree.js';
import { resolveBase, type BaseRequest } from './lock.js';
import { excludedRequests, requestedName, variantPackages } from './presets.js';

const basics: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' }));
const repo = await createAptRepo({
  suite: 'bookworm',
  packages: [
    ...basics,
    { name: 'libc6', version: '2.36-9', architecture: 'amd64', files: { 'usr/lib/x86_64-linux-gnu/libc.so.6': 'libc' } },
    { name: 'bash', version: '5.2.15-2', architecture: 'amd64', depends: 'libc6', files: { 'usr/bin/bash': { data: '#!bash\n', mode: 0o755 } } },
    { name: 'libextra1', version: '1.0-1', architecture: 'amd64', depends: 'libc6', files: { 'usr/lib/x86_64-linux-gnu/libextra.so.1': 'extra' } },
  ],
  suites: [{ suite: 'bookworm-updates', packages: [] }, { suite: 'bookworm-security', packages: [] }],
});
after(() => repo.close());

const request: BaseRequest = {
  distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['bash (>= 5)'],
  mirrors: { mirror: repo.url, securityMirror: repo.url }, keyring: repo.keyring,
};

test('variantPackages: a named package is kept from the variant\'s exclusions; excludedRequests finds names in both lists', () => {
  assert.equal(requestedName('python3 (>= 3.11)'), 'python3');
  assert.equal(requestedName('libc6:amd64'), 'libc6');
  assert.equal(requestedName('mawk | gawk'), undefined);
  const distroless = variantPackages('distroless', ['bash', 'python3']);
  assert.deepEqual(distroless.kept, ['bash']);
  assert.ok(!distroless.exclude.includes('bash') && distroless.exclude.includes('dash'));
  assert.deepEqual(variantPackages('slim', ['dash']).kept, [], 'slim installs dash anyway');
  assert.deepEqual(excludedRequests({ packages: ['python3', 'libextra1'], layers: { gpu: ['libcuda1'] }, exclude: ['libcuda1', 'libextra1', 'perl'] }), ['libcuda1', 'libextra1']);
});

test('resolveBase installs a named package the variant leaves out', async () => {
  const base = await resolveBase(request, { store: await tempStore() });
  assert.deepEqual(base.packages.map((p) => p.name), ['base-files', 'bash', 'ca-certificates', 'libc6', 'netbase', 'tzdata']);
});

test('kiln plan and kiln build: bash installed with a note, a package in packages and exclude left out with a warning', { timeout: 300_000 }, async () => {
  const dir = await tempDir('kiln-named-');
  try {
    await writeFile(join(dir, 'kiln.yaml'), `images:
  tools:
    base:
      distro: debian
      release: bookworm
      packages: [bash, libextra1]
      exclude: [libextra1]
      mirror: ${repo.url}
      security_mirror: ${repo.url}
      keyring: ${repo.keyring}
    cmd: [/usr/bin/bash]
    outputs: ["oci:out"]
`);
    const env = { KILN_CACHE_DIR: join(dir, '.cache'), SOURCE_DATE_EPOCH: '1700000000' };
    const warning = 'kiln: warning: tools: libextra1 is in both packages and exclude, so left out of the image (take it out of one list)\n';
    const plan = await runKiln(['plan', dir], { env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(plan.stderr.includes(warning), plan.stderr);
    assert.match(plan.stdout, /\n {2}variant: distroless leaves out bash; installed because packages names it\n/);
    assert.match(plan.stdout, /\n {2}exclude: libextra1 left out although packages names it\n/);
    assert.match(plan.stdout, /\n {4}Inst bash \(5\.2\.15-2 amd64\) \[new\]\n/);
    assert.doesNotMatch(plan.stdout, /Inst libextra1/);

    const build = await runKiln(['build', dir, '-q'], { env });
    assert.equal(build.code, 0, build.stderr);
    assert.equal(build.stderr, warning);
    const image = await readOciLayout(join(dir, 'out'));
    const files = new Set<string>();
    for (const layer of await image.layers()) for (const path of (await readLayerTree(layer)).keys()) files.add(path);
    assert.ok(files.has('usr/bin/bash'), 'bash is in the image');
    assert.ok(![...files].some((path) => path.includes('libextra')), 'libextra1 is not');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
