import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { ConfigError } from '../errors.js';
import { resolveBase } from './lock.js';
import { DISTROLESS_EXCLUDE, findPreset, presetSources, variantPackages } from './presets.js';

test('presetSources lists the release, -updates and -security suites with overridable mirrors', () => {
  const bookworm = findPreset('debian', 'bookworm');
  assert.deepEqual(presetSources(bookworm, 'arm64').map((s) => `${s.mirror} ${s.suite} ${s.components.join(',')}`), [
    'http://deb.debian.org/debian bookworm main',
    'http://deb.debian.org/debian bookworm-updates main',
    'http://security.debian.org/debian-security bookworm-security main',
  ]);
  assert.equal(presetSources(bookworm, 'amd64')[0]!.keyring, '/usr/share/keyrings/debian-archive-keyring.gpg');
  assert.deepEqual(presetSources(findPreset('debian', 'trixie'), 'amd64', { mirror: 'http://m/debian', securityMirror: 'http://s' })
    .map((s) => `${s.mirror} ${s.suite}`), ['http://m/debian trixie', 'http://m/debian trixie-updates', 'http://s trixie-security']);
  const noble = findPreset('ubuntu', 'noble');
  assert.deepEqual(presetSources(noble, 'amd64').map((s) => `${s.mirror} ${s.suite} ${s.components.join(',')}`), [
    'http://archive.ubuntu.com/ubuntu noble main,universe',
    'http://archive.ubuntu.com/ubuntu noble-updates main,universe',
    'http://archive.ubuntu.com/ubuntu noble-security main,universe',
  ]);
  assert.ok(presetSources(noble, 'arm64').every((s) => s.mirror === 'http://ports.ubuntu.com/ubuntu-ports'));
  assert.throws(() => presetSources(bookworm, 'riscv64'), ConfigError);
  assert.throws(() => findPreset('debian', 'buster'), (e) =>
    e instanceof ConfigError && e.message === 'no preset for debian buster (known: debian/bookworm, debian/trixie, ubuntu/noble)');
});

test('slim adds a shell and core tools that distroless leaves out', () => {
  const distroless = variantPackages('distroless');
  const slim = variantPackages('slim');
  for (const name of ['dash', 'coreutils']) {
    assert.ok(distroless.exclude.includes(name));
    assert.ok(!slim.exclude.includes(name));
    assert.ok(slim.add.includes(name));
  }
  assert.ok(slim.exclude.includes('dpkg') && slim.exclude.includes('perl-base'));
  assert.ok(DISTROLESS_EXCLUDE.includes('debconf'));
});

// The one test against the real Debian mirrors: both architectures must resolve python3.
test('debian bookworm python3 resolves on the real mirrors for amd64 and arm64', async () => {
  const store = new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-store-')));
  for (const architecture of ['amd64', 'arm64']) {
    const base = await resolveBase({ distro: 'debian', release: 'bookworm', architecture, packages: ['python3'] }, { store });
    const names = base.packages.map((p) => p.name);
    for (const name of ['python3', 'python3.11-minimal', 'libpython3.11-stdlib', 'libc6', 'libssl3', 'tzdata', 'ca-certificates']) {
      assert.ok(names.includes(name), `${architecture}: ${name} resolved`);
    }
    for (const name of ['dpkg', 'perl-base', 'debconf', 'bash', 'dash', 'coreutils']) {
      assert.ok(!names.includes(name), `${architecture}: ${name} excluded`);
    }
    assert.deepEqual(names, [...names].sort());
    assert.ok(base.packages.every((p) => p.architecture === architecture || p.architecture === 'all'));
    assert.equal(base.packages.find((p) => p.name === 'libc6')!.architecture, architecture);
    assert.deepEqual(base.repositories.map((r) => r.suite), ['bookworm', 'bookworm-updates', 'bookworm-security']);
  }
});
