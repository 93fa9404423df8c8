// Against the real Debian mirrors: a bookworm lock carries the highest version of every package across
// bookworm, bookworm-updates and bookworm-security, computed here straight from the signed indexes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xz } from '@napi-rs/lzma';
import { BlobStore } from '../cache/blob-store.js';
import { errorMessage } from '../errors.js';
import { parseDeb822 } from './deb822.js';
import { resolveBase } from './lock.js';
import { httpGet } from './mirror.js';
import { findPreset, presetSources } from './presets.js';
import { distsUrl, fetchRelease } from './release.js';
import { compareVersions } from './version.js';

// Highest version of each package in one suite's main/binary-amd64 index, read without kiln's component
// handling: whichever path the signed Release lists for main (bare or behind a prefix), checked by hand.
async function highestInSuite(source: Parameters<typeof fetchRelease>[0]): Promise<Map<string, string>> {
  const { release } = await fetchRelease(source);
  const path = [...release.files.keys()].find((p) => /^(?:[^/]+\/)*main\/binary-amd64\/Packages\.xz$/.test(p));
  assert.ok(path, `${source.suite}: its signed Release lists a main/binary-amd64/Packages.xz`);
  const data = await httpGet(`${distsUrl(source)}/${path}`);
  const listed = release.files.get(path)!;
  assert.equal(data.length, listed.size, `${source.suite} ${path} size`);
  assert.equal(createHash('sha256').update(data).digest('hex'), listed.sha256, `${source.suite} ${path} sha256`);
  const highest = new Map<string, string>();
  for (const stanza of parseDeb822((await xz.decompress(data)).toString('utf8'), path)) {
    const name = stanza.get('Package')!;
    const version = stanza.get('Version')!;
    const known = highest.get(name);
    if (known === undefined || compareVersions(version, known) > 0) highest.set(name, version);
  }
  return highest;
}

test('a real bookworm amd64 lock takes libssl3 (and every package) at the highest version across release, -updates and -security', { timeout: 600_000 }, async (t) => {
  try {
    await httpGet('http://deb.debian.org/debian/dists/bookworm/Release', { connectMs: 10_000, headersMs: 10_000, deadlineMs: 20_000, retries: 0 });
  } catch (error) {
    return t.skip(`deb.debian.org is unreachable: ${errorMessage(error)}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'kiln-real-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const preset = findPreset('debian', 'bookworm');
  const sources = presetSources(preset, 'amd64');
  const [base, ...perSuite] = await Promise.all([
    resolveBase({ distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['python3', 'ca-certificates', 'libssl3'] },
      { store: new BlobStore(dir) }),
    ...sources.map(highestInSuite),
  ]);
  const security = sources.find((s) => s.suite === 'bookworm-security')!;

  const highestOf = (name: string): { version: string; suites: string[] } => {
    let version: string | undefined;
    for (const index of perSuite) {
      const v = index.get(name);
      if (v !== undefined && (version === undefined || compareVersions(v, version) > 0)) version = v;
    }
    assert.ok(version, `${name} is in some index`);
    return { version, suites: sources.filter((_, i) => perSuite[i]!.get(name) === version).map((s) => s.suite) };
  };

  const libssl = base.packages.find((p) => p.name === 'libssl3')!;
  const expected = highestOf('libssl3');
  t.diagnostic(`libssl3: ${sources.map((s, i) => `${s.suite} ${perSuite[i]!.get('libssl3') ?? '-'}`).join(', ')}; locked ${libssl.version} from ${libssl.mirror}`);
  assert.equal(libssl.version, expected.version);
  if (expected.suites.length === 1 && expected.suites[0] === security.suite) {
    assert.equal(libssl.mirror, security.mirror, 'the security fix is fetched from the security mirror');
  }
  for (const pkg of base.packages) {
    const best = highestOf(pkg.name);
    assert.equal(pkg.version, best.version, `${pkg.name} is locked at the highest version (${best.suites.join(', ')})`);
    const from = sources.filter((s) => best.suites.includes(s.suite)).map((s) => s.mirror);
    assert.ok(from.includes(pkg.mirror), `${pkg.name} comes from a mirror that has ${best.version}`);
  }
  assert.deepEqual(base.repositories.map((r) => r.suite), ['bookworm', 'bookworm-updates', 'bookworm-security']);
});
