import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResolutionError } from '../errors.js';
import { parsePackages, type PackageRecord } from './packages-index.js';
import { isBuildOnly, omitFromRuntime } from './presets.js';
import { resolveClosure, resolvePackages, type ResolveOptions } from './resolver.js';

// Fixture indexes in Packages syntax: `P name version [arch]` lines expand to full stanzas.
function index(suite: string, text: string): PackageRecord[] {
  const stanzas = text.trim().split(/\n(?=P )/).map((block) => {
    const [head, ...rest] = block.split('\n');
    const [, name, version, arch = 'amd64'] = head!.split(/\s+/);
    const file = `pool/main/${name![0]}/${name}/${name}_${version}_${arch}.deb`;
    return [`Package: ${name}`, `Version: ${version}`, `Architecture: ${arch}`, ...rest.map((l) => l.trim()),
      `Filename: ${file}`, 'Size: 100', `SHA256: ${'0'.repeat(64)}`].join('\n');
  });
  return parsePackages(stanzas.join('\n\n'), `http://mirror/${suite}`, suite, `${suite}/Packages`);
}

const main = index('stable', `
P python3 3.11.2-1
Pre-Depends: python3-minimal (= 3.11.2-1)
Depends: python3.11 (>= 3.11.2-1~), libpython3-stdlib (= 3.11.2-1)
Recommends: python3-doc
P python3-minimal 3.11.2-1
Depends: dpkg (>= 1.13.20)
P python3.11 3.11.2-6
Depends: libpython3.11-stdlib (= 3.11.2-6), mime-support | media-types
Multi-Arch: allowed
P libpython3-stdlib 3.11.2-1
Depends: libpython3.11-stdlib (>= 3.11.2)
P libpython3.11-stdlib 3.11.2-6
Depends: libc6 (>= 2.36), libssl3 (>= 3.0.0), debconf (>= 0.5) | debconf-2.0
P libc6 2.36-9
Multi-Arch: same
P libc6 2.36-9 arm64
Multi-Arch: same
P libssl3 3.0.11-1~deb12u1
P media-types 10.0.0 all
P python3-doc 3.11.2-1 all
P dpkg 1.21.22
P debconf 1.5.82 all
P cdebconf 0.270
Provides: debconf-2.0
`);

const updates = index('stable-updates', `
P libssl3 3.0.15-1~deb12u1
P libc6 2.36-9+deb12u9
Multi-Arch: same
`);

const base: ResolveOptions = { packages: ['python3'], architecture: 'amd64', exclude: ['dpkg', 'debconf'] };

function names(resolved: Array<{ name: string; version: string }>): string[] {
  return resolved.map((p) => `${p.name}=${p.version}`);
}

test('resolvePackages closes over Depends and Pre-Depends, highest version across sources, sorted', () => {
  const resolved = resolvePackages([...main, ...updates], base);
  assert.deepEqual(names(resolved), [
    'libc6=2.36-9+deb12u9',
    'libpython3-stdlib=3.11.2-1',
    'libpython3.11-stdlib=3.11.2-6',
    'libssl3=3.0.15-1~deb12u1',
    'media-types=10.0.0',
    'python3=3.11.2-1',
    'python3-minimal=3.11.2-1',
    'python3.11=3.11.2-6',
  ]);
  const libc = resolved.find((p) => p.name === 'libc6')!;
  assert.equal(libc.mirror, 'http://mirror/stable-updates');
  assert.equal(libc.architecture, 'amd64');
  assert.deepEqual(libc.control[0], ['Package', 'libc6']);
  assert.equal(resolved.find((p) => p.name === 'media-types')!.architecture, 'all');
});

test('the order of sources and requests does not change the result', () => {
  const a = resolvePackages([...main, ...updates], base);
  const b = resolvePackages([...updates, ...main].reverse(), { ...base, packages: ['python3', 'libc6'] });
  assert.deepEqual(names(a), names(b));
});

test('exclusions count as satisfied; without them the first satisfiable alternative wins', () => {
  const all = names(resolvePackages(main, { ...base, exclude: [] }));
  assert.ok(all.includes('dpkg=1.21.22'));
  assert.ok(all.includes('debconf=1.5.82'), 'first alternative of "debconf (>= 0.5) | debconf-2.0"');
  assert.ok(!all.includes('cdebconf=0.270'));
  const noDebconf = names(resolvePackages(main, { ...base, exclude: ['dpkg'], packages: ['python3', 'cdebconf'] }));
  assert.ok(noDebconf.includes('cdebconf=0.270'));
  assert.ok(!noDebconf.includes('debconf=1.5.82'), 'a provider of debconf-2.0 already selected satisfies the whole group');
});

test('Recommends are followed only when asked', () => {
  assert.ok(!names(resolvePackages(main, base)).includes('python3-doc=3.11.2-1'));
  assert.ok(names(resolvePackages(main, { ...base, recommends: true })).includes('python3-doc=3.11.2-1'));
});

test('virtual packages resolve through Provides, versioned provides only for versioned deps', () => {
  const records = index('s', `
P app 1.0
Depends: awk, libjpeg (>= 2)
P mawk 1.3.4
Priority: required
Provides: awk
P gawk 5.2
Priority: optional
Provides: awk
P libjpeg62-turbo 1:2.1.5-2
Provides: libjpeg (= 2.1.5)
`);
  assert.deepEqual(names(resolvePackages(records, { packages: ['app'], architecture: 'amd64' })),
    ['app=1.0', 'libjpeg62-turbo=1:2.1.5-2', 'mawk=1.3.4']);
  const unversioned = index('s', `
P app 1.0
Depends: libjpeg (>= 2)
P libjpeg62-turbo 1:2.1.5-2
Provides: libjpeg
`);
  assert.throws(() => resolvePackages(unversioned, { packages: ['app'], architecture: 'amd64' }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy "libjpeg (>= 2)" needed by app -> libjpeg: no provider of libjpeg matches');
});

test('Multi-Arch qualifiers: :any needs Multi-Arch: allowed, :native the native arch', () => {
  const records = index('s', `
P tool 1.0 all
Depends: python3.11:any, libc6:native
P python3.11 3.11.2-6
Multi-Arch: allowed
P libc6 2.36-9
P libc6 2.36-9 arm64
`);
  const amd = resolvePackages(records, { packages: ['tool'], architecture: 'amd64' });
  assert.deepEqual(amd.map((p) => `${p.name}:${p.architecture}`), ['libc6:amd64', 'python3.11:amd64', 'tool:all']);
  assert.throws(() => resolvePackages(records, { packages: ['tool'], architecture: 'arm64' }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy "python3.11:any" needed by tool -> python3.11: no package python3.11 for arm64');
  const strict = index('s', `
P tool 1.0 all
Depends: perl:any
P perl 5.36
`);
  assert.throws(() => resolvePackages(strict, { packages: ['tool'], architecture: 'amd64' }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy "perl:any" needed by tool -> perl: perl is not Multi-Arch: allowed');
});

test('an unsatisfiable versioned dependency names the whole chain and the versions on offer', () => {
  const records = index('s', `
P python3 3.11.2-1
Depends: libpython3.11-stdlib
P libpython3.11-stdlib 3.11.2-6
Depends: libfoo (>= 2)
P libfoo 1.0-1
`);
  assert.throws(() => resolvePackages(records, { packages: ['python3'], architecture: 'amd64' }), (e) =>
    e instanceof ResolutionError
    && e.message === 'cannot satisfy "libfoo (>= 2)" needed by python3 -> libpython3.11-stdlib -> libfoo: only 1.0-1 available');
});

test('unknown packages and packages of another architecture are ResolutionErrors', () => {
  assert.throws(() => resolvePackages(main, { ...base, packages: ['nosuch'] }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy requested "nosuch": no package nosuch for amd64');
  const armOnly = index('s', 'P armtool 1.0 arm64');
  assert.throws(() => resolvePackages(armOnly, { packages: ['armtool'], architecture: 'amd64' }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy requested "armtool": no package armtool for amd64');
  assert.throws(() => resolvePackages(main, { ...base, packages: ['python3 (>= 3.12)'] }), (e) =>
    e instanceof ResolutionError && e.message === 'cannot satisfy requested "python3 (>= 3.12)": only 3.11.2-1 available');
});

test('alternatives are tried in order and all are explained when none fits', () => {
  const records = index('s', `
P app 1.0
Depends: missing-a | missing-b (>= 2)
P missing-b 1.0
`);
  assert.throws(() => resolvePackages(records, { packages: ['app'], architecture: 'amd64' }), (e) =>
    e instanceof ResolutionError
    && e.message === 'cannot satisfy "missing-a | missing-b (>= 2)" needed by app: no package missing-a for amd64; only 1.0 available');
});

const scientific = index('stable', `
P python3-scipy 1.10.1-2
Depends: python3-numpy, python3-pythran
P python3-numpy 1.24.2-1
Depends: libc6
P python3-pythran 0.11.0-3
Depends: g++-12, libboost1.74-dev, python3-gast
P g++-12 12.2.0-14
Depends: gcc-12, libstdc++-12-dev
P gcc-12 12.2.0-14
Depends: cpp-12, binutils
P cpp-12 12.2.0-14
P binutils 2.40-2
P libstdc++-12-dev 12.2.0-14
Depends: libc6-dev
P libc6-dev 2.36-9
Depends: libc6, linux-libc-dev
P linux-libc-dev 6.1.1-1
P libboost1.74-dev 1.74.0-18
P python3-gast 0.5.2-2 all
P libc6 2.36-9
`);

test('resolveClosure leaves build tools out of a runtime closure, each with the first chain that wanted it', () => {
  const full = resolvePackages(scientific, { packages: ['python3-scipy'], architecture: 'amd64' });
  assert.equal(full.length, 13);
  const runtime = resolveClosure(scientific, { packages: ['python3-scipy'], architecture: 'amd64', omit: omitFromRuntime });
  assert.deepEqual(runtime.packages.map((p) => p.name), ['libc6', 'python3-numpy', 'python3-scipy']);
  assert.deepEqual(runtime.omitted, [{ name: 'python3-pythran', chain: ['python3-scipy', 'python3-pythran'] }]);
});

test('a build tool named in the request comes with its own dependencies; others stay out', () => {
  const named = resolveClosure(scientific, { packages: ['python3-scipy', 'python3-pythran'], architecture: 'amd64', omit: omitFromRuntime });
  assert.deepEqual(named.omitted, []);
  assert.ok(named.packages.some((p) => p.name === 'binutils'), 'g++-12 -> gcc-12 -> binutils, wanted through a requested build tool');
  const compiler = resolveClosure(scientific, { packages: ['python3-scipy', 'gcc-12'], architecture: 'amd64', omit: omitFromRuntime });
  assert.deepEqual(compiler.packages.map((p) => p.name), ['binutils', 'cpp-12', 'gcc-12', 'libc6', 'python3-numpy', 'python3-scipy']);
  assert.deepEqual(compiler.omitted.map((o) => o.chain.join(' -> ')), ['python3-scipy -> python3-pythran']);
});

test('isBuildOnly names compilers, binutils, development packages and Python build tools, not runtime libraries', () => {
  for (const name of ['gcc', 'g++-12', 'cpp-12', 'gfortran-12', 'binutils', 'binutils-x86-64-linux-gnu', 'libpython3.11-dev', 'linux-libc-dev', 'libc-dev-bin', 'python3-pythran', 'cython3', 'g++-12-x86-64-linux-gnu']) {
    assert.ok(isBuildOnly(name), name);
  }
  for (const name of ['libgcc-s1', 'libstdc++6', 'gcc-12-base', 'libgfortran5', 'libquadmath0', 'udev', 'python3-numpy', 'libdevmapper1.02.1', 'cpio']) {
    assert.ok(!isBuildOnly(name), name);
  }
});

test('a runtime closure leaves out the libraries only CPython\'s readline, curses, nis and dbm modules load, when only the stdlib wants them', () => {
  const records = index('stable', `
P libpython3.11-stdlib 3.11.2-6
Depends: libc6, libreadline8, libdb5.3, libsqlite3-0
P libreadline8 8.2-1
Depends: libtinfo6
P libtinfo6 6.4-4
P libdb5.3 5.3.28
P libsqlite3-0 3.40.1-2
P libsasl2-2 2.1.28
Depends: libdb5.3
P libc6 2.36-9
`);
  const runtime = resolveClosure(records, { packages: ['libpython3.11-stdlib', 'libsasl2-2'], architecture: 'amd64', omit: omitFromRuntime });
  assert.deepEqual(runtime.packages.map((p) => p.name), ['libc6', 'libdb5.3', 'libpython3.11-stdlib', 'libsasl2-2', 'libsqlite3-0']);
  assert.deepEqual(runtime.omitted, [{ name: 'libreadline8', chain: ['libpython3.11-stdlib', 'libreadline8'] }], 'libdb5.3 stays: libsasl2-2 needs it');
});
