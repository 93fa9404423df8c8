// kiln dockerfile end to end: a signed local repository for the base's packages, the real CLI, the files it writes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAptRepo, type AptRepoPackage } from '../../testing/apt-repo.js';
import { tempDir } from '../../testing/images.js';
import { runKiln } from '../../testing/cli.js';

const basics: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' }));
const repo = await createAptRepo({
  suite: 'bookworm',
  packages: [
    ...basics,
    { name: 'python3-scipy', version: '1.10.1-2', architecture: 'amd64', depends: 'python3-pythran' },
    { name: 'python3-pythran', version: '0.11.0-3', depends: 'gcc' },
    { name: 'gcc', version: '4:12.2.0-3', architecture: 'amd64' },
  ],
  suites: [{ suite: 'bookworm-updates', packages: [] }, { suite: 'bookworm-security', packages: [] }],
});
after(() => repo.close());

test('kiln dockerfile on a stock distro base warns, in one line and in the Dockerfile, that apt-get installs what the runtime closure and slim rules leave out', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'kiln.yaml'), `images:
  science:
    base: {distro: debian, release: bookworm, packages: [python3-scipy], mirror: ${repo.url}, security_mirror: ${repo.url}, keyring: ${repo.keyring}}
    cmd: [python3]
`);
    const result = await runKiln(['dockerfile', dir], { env: { KILN_CACHE_DIR: join(dir, '.cache') } });
    assert.equal(result.code, 0, result.stderr);
    const note = 'science: FROM debian:bookworm-slim with apt-get installs the 1 package the runtime closure leaves out '
      + '(python3-scipy -> python3-pythran) and the files the slim rules drop (docs, man, ';
    assert.ok(result.stderr.startsWith(`kiln: warning: ${note}`), result.stderr);
    assert.equal(result.stderr.split('\n').length, 2, 'one line');
    assert.match(result.stdout, /^science -> \S*generated\/science\/Dockerfile \(1 files\)\n$/);
    const dockerfile = await readFile(join(dir, 'generated/science/Dockerfile'), 'utf8');
    assert.ok(dockerfile.includes(`\n# note: ${note}`), dockerfile);
    // Every package kiln.lock pins, each at its version: apt upgrades what the stock image holds older.
    assert.match(dockerfile, /apt-get install -y --no-install-recommends base-files=1 ca-certificates=1 netbase=1 python3-scipy=1\.10\.1-2 tzdata=1 \\\n/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kiln dockerfile writes one Dockerfile per platform of a multi-platform entry, each with its platform\'s pins', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'kiln.yaml'), `images:
  multi:
    base: {distro: debian, release: bookworm, packages: [netbase], slim: false, mirror: ${repo.url}, security_mirror: ${repo.url}, keyring: ${repo.keyring}}
    platform: [linux/amd64, linux/arm64]
    cmd: [/bin/true]
`);
    const env = { KILN_CACHE_DIR: join(dir, '.cache') };
    assert.equal((await runKiln(['lock', dir], { env })).code, 0);
    const result = await runKiln(['dockerfile', dir, '-o', join(dir, 'out')], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'nothing left out: no warning');
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const [i, platform] of ['linux/amd64', 'linux/arm64'].entries()) {
      assert.ok(lines[i]!.startsWith(`multi (${platform}: docker build --platform ${platform}) -> `) && lines[i]!.endsWith(`out/multi/${platform.replace('/', '-')}/Dockerfile (1 files)`), lines[i]);
      const dockerfile = await readFile(join(dir, 'out/multi', platform.replace('/', '-'), 'Dockerfile'), 'utf8');
      assert.match(dockerfile, /apt-get install -y --no-install-recommends base-files=1 ca-certificates=1 netbase=1 tzdata=1 /);
    }
    const lock = await readFile(join(dir, 'kiln.lock'), 'utf8');
    assert.ok(lock.includes('[bases."multi@amd64"]') && lock.includes('[bases."multi@arm64"]'), 'each platform has its own pins');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
