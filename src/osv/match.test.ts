import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { matchPackages, parseEcosystem, type InstalledPackage } from './match.js';
import { parseOsvJson, parseOsvRecord, type OsvRecord } from './schema.js';

// Hand-written records in OSV's JSON shape, with the facts of real advisories for packages in Debian
// bookworm images and on PyPI.
const records: Record<string, unknown> = {
  // DSA-5532-1: openssl 3.0.11-1~deb12u2 fixed CVE-2023-5363 (cipher key/IV length processing) in bookworm.
  dsa: {
    id: 'DSA-5532-1',
    modified: '2023-10-26T00:00:00Z',
    published: '2023-10-25T00:00:00Z',
    aliases: ['CVE-2023-5363'],
    summary: 'openssl - security update',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl', purl: 'pkg:deb/debian/openssl?arch=source' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
      },
    ],
  },
  cve: {
    id: 'CVE-2023-5363',
    modified: '2024-02-01T00:00:00Z',
    summary: 'Incorrect cipher key and IV length processing',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
      },
    ],
  },
  // CVE-2023-45853 (minizip integer overflow in zipOpenNewFileInZip4_64) is not fixed in bookworm's zlib.
  zlib: {
    id: 'CVE-2023-45853',
    modified: '2024-01-10T00:00:00Z',
    affected: [
      { package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
    ],
  },
  // The same advisory as bullseye's record: it must not reach a bookworm package.
  zlibBullseye: {
    id: 'CVE-2023-45853',
    modified: '2024-01-10T00:00:00Z',
    affected: [
      { package: { ecosystem: 'Debian:11', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
    ],
  },
  // CVE-2023-24329 (urllib.parse blank-prefix bypass) fixed for bookworm's python3.11 in 3.11.2-6+deb12u1.
  python: {
    id: 'CVE-2023-24329',
    modified: '2023-12-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'python3.11' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.11.2-6+deb12u1' }] }],
      },
    ],
  },
  // CVE-2023-43804: urllib3 kept the Cookie header on cross-origin redirects; fixed in 1.26.17 and 2.0.6.
  ghsa: {
    id: 'GHSA-v845-jxx5-vc9f',
    modified: '2023-11-01T00:00:00Z',
    aliases: ['CVE-2023-43804'],
    summary: "Cookie HTTP header isn't stripped on cross-origin redirects",
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'urllib3', purl: 'pkg:pypi/urllib3' },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.26.17' }] },
          { type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { fixed: '2.0.6' }] },
        ],
      },
    ],
  },
  pysec: {
    id: 'PYSEC-2023-192',
    modified: '2023-11-01T00:00:00Z',
    aliases: ['CVE-2023-43804', 'GHSA-v845-jxx5-vc9f'],
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'urllib3' },
        ranges: [
          { type: 'GIT', repo: 'https://github.com/urllib3/urllib3', events: [{ introduced: '0' }, { fixed: '644124ecd0b6e417c527191f866daa05a5a2056d' }] },
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.26.17' }] },
        ],
        versions: ['1.26.16', '2.0.4', '2.0.5'],
      },
    ],
  },
  // CVE-2022-40897: setuptools' package_index regex was open to ReDoS; listed by exact versions only here.
  setuptools: {
    id: 'PYSEC-2022-43012',
    modified: '2023-01-05T00:00:00Z',
    aliases: ['CVE-2022-40897'],
    affected: [{ package: { ecosystem: 'PyPI', name: 'setuptools' }, versions: ['65.4.1', '65.5.0'] }],
  },
};

function parsed(...names: string[]): OsvRecord[] {
  return names.map((name) => parseOsvRecord(records[name], `${name}.json`));
}

const libssl: InstalledPackage = { ecosystem: 'Debian:12', name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' };
const zlib1g: InstalledPackage = { ecosystem: 'Debian:12', name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' };

test('a Debian advisory matches the binary package through its source package, and shows the fix', () => {
  const findings = matchPackages([libssl], parsed('cve'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.id, 'CVE-2023-5363');
  assert.equal(findings[0]!.fixed, '3.0.11-1~deb12u2');
  assert.equal(findings[0]!.package.name, 'libssl3');
  assert.deepEqual(findings[0]!.severity.map((s) => s.type), ['CVSS_V3']);
  // Without the source name the binary name does not match: advisories are keyed by source.
  assert.deepEqual(matchPackages([{ ...libssl, source: undefined }], parsed('cve')), []);
});

test('a DSA and its CVE are one finding, named by the CVE', () => {
  const findings = matchPackages([libssl], parsed('dsa', 'cve'));
  assert.equal(findings.length, 1);
  assert.deepEqual(findings[0]!.ids, ['CVE-2023-5363', 'DSA-5532-1']);
  assert.deepEqual(findings[0]!.records, ['CVE-2023-5363', 'DSA-5532-1']);
  assert.equal(findings[0]!.id, 'CVE-2023-5363');
  assert.equal(findings[0]!.fixed, '3.0.11-1~deb12u2');
  assert.equal(findings[0]!.summary, 'openssl - security update');
});

test('the fixed version and anything newer are not affected, by dpkg ordering', () => {
  for (const version of ['3.0.11-1~deb12u2', '3.0.13-1~deb12u1', '3.0.11-1']) {
    assert.deepEqual(matchPackages([{ ...libssl, version }], parsed('dsa', 'cve')), [], version);
  }
  // `~` sorts before everything, so 3.0.11-1~deb12u1 is older than 3.0.11-1 and affected.
  const python = { ecosystem: 'Debian:12', name: 'libpython3.11-minimal', source: 'python3.11' };
  assert.equal(matchPackages([{ ...python, version: '3.11.2-6' }], parsed('python')).length, 1);
  assert.deepEqual(matchPackages([{ ...python, version: '3.11.2-6+deb12u1' }], parsed('python')), []);
});

test('a range with no fixed event is an unfixed finding', () => {
  const findings = matchPackages([zlib1g], parsed('zlib'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.id, 'CVE-2023-45853');
  assert.equal(findings[0]!.fixed, undefined);
  assert.ok(!('fixed' in findings[0]!));
});

test('a record for another release does not match', () => {
  assert.deepEqual(matchPackages([zlib1g], parsed('zlibBullseye')), []);
  assert.equal(matchPackages([{ ...zlib1g, ecosystem: 'Debian:11' }], parsed('zlibBullseye')).length, 1);
  const both = matchPackages([zlib1g], parsed('zlibBullseye', 'zlib'));
  assert.equal(both.length, 1);
  assert.equal(both[0]!.package.ecosystem, 'Debian:12');
});

test('PyPI: PEP 440 ranges, the second range, aliases merged across GHSA and PYSEC', () => {
  const urllib3 = (version: string): InstalledPackage => ({ ecosystem: 'PyPI', name: 'urllib3', version });
  const findings = matchPackages([urllib3('2.0.4')], parsed('ghsa', 'pysec'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.id, 'CVE-2023-43804');
  assert.deepEqual(findings[0]!.ids, ['CVE-2023-43804', 'GHSA-v845-jxx5-vc9f', 'PYSEC-2023-192']);
  assert.equal(findings[0]!.fixed, '2.0.6');
  assert.equal(matchPackages([urllib3('1.26.16')], parsed('ghsa'))[0]!.fixed, '1.26.17');
  for (const version of ['1.26.17', '1.26.18', '2.0.6', '2.2.1']) {
    assert.deepEqual(matchPackages([urllib3(version)], parsed('ghsa', 'pysec')), [], version);
  }
  // 2.0.0rc1 sorts after 1.26.17 and before 2.0.0: between the two ranges, so not affected.
  assert.deepEqual(matchPackages([urllib3('2.0.0rc1')], parsed('ghsa')), []);
  assert.equal(matchPackages([urllib3('1.26.17rc1')], parsed('ghsa'))[0]!.fixed, '1.26.17');
});

test('a versions list matches exactly (after PEP 440 and PEP 503 normalisation) and only those versions', () => {
  const setuptools = (version: string): InstalledPackage => ({ ecosystem: 'PyPI', name: 'SetupTools', version });
  const findings = matchPackages([setuptools('65.5.0')], parsed('setuptools'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.id, 'CVE-2022-40897');
  assert.equal(findings[0]!.fixed, undefined);
  assert.equal(matchPackages([setuptools('65.5.0.0')], parsed('setuptools')).length, 1);
  assert.deepEqual(matchPackages([setuptools('65.5.1')], parsed('setuptools')), []);
  assert.deepEqual(matchPackages([setuptools('65.4.0')], parsed('setuptools')), []);
});

test('last_affected includes that version and no later one; the finding has no fix', () => {
  const record = parseOsvRecord(
    {
      id: 'CVE-2023-5678',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'openssl' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '3.0.0' }, { last_affected: '3.0.11-1~deb12u2' }] }],
        },
      ],
    },
    'last.json',
  );
  assert.equal(matchPackages([{ ...libssl, version: '3.0.11-1~deb12u2' }], [record])[0]!.fixed, undefined);
  assert.deepEqual(matchPackages([{ ...libssl, version: '3.0.13-1~deb12u1' }], [record]), []);
  assert.deepEqual(matchPackages([{ ...libssl, version: '1.1.1w-0+deb11u1' }], [record]), []);
});

test("a distribution's copy of a CVE (one upstream id) joins the CVE; withdrawn records are skipped", () => {
  const debianCopy = parseOsvRecord(
    {
      id: 'DEBIAN-CVE-2023-45853',
      modified: '2024-01-10T00:00:00Z',
      upstream: ['CVE-2023-45853'],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
    },
    'debian.json',
  );
  const findings = matchPackages([zlib1g], [debianCopy, ...parsed('zlib')]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.id, 'CVE-2023-45853');
  assert.deepEqual(findings[0]!.records, ['CVE-2023-45853', 'DEBIAN-CVE-2023-45853']);
  const withdrawn = { ...debianCopy, withdrawn: '2024-02-01T00:00:00Z' };
  assert.deepEqual(matchPackages([zlib1g], [withdrawn]), []);
});

test('one CVE in two packages stays two findings', () => {
  const findings = matchPackages([libssl, { ...libssl, name: 'openssl' }], parsed('cve'));
  assert.deepEqual(findings.map((f) => f.package.name), ['libssl3', 'openssl']);
});

test('Ubuntu ecosystems carry their release; Pro streams never match a plain install', () => {
  assert.deepEqual(parseEcosystem('Ubuntu:22.04:LTS'), { family: 'Ubuntu', release: '22.04' });
  assert.equal(parseEcosystem('Ubuntu:Pro:22.04:LTS')?.variant, 'Pro');
  assert.equal(parseEcosystem('Debian:bookworm'), undefined);
  const record = (ecosystem: string): OsvRecord =>
    parseOsvRecord(
      {
        id: 'UBUNTU-CVE-2023-5363',
        modified: '2023-11-01T00:00:00Z',
        affected: [{ package: { ecosystem, name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.12' }] }] }],
      },
      'u.json',
    );
  const ubuntu: InstalledPackage = { ecosystem: 'Ubuntu:22.04', name: 'libssl3', version: '3.0.2-0ubuntu1.10', source: 'openssl' };
  assert.equal(matchPackages([ubuntu], [record('Ubuntu:22.04:LTS')])[0]!.fixed, '3.0.2-0ubuntu1.12');
  assert.deepEqual(matchPackages([ubuntu], [record('Ubuntu:Pro:22.04:LTS')]), []);
  assert.deepEqual(matchPackages([ubuntu], [record('Ubuntu:24.04:LTS')]), []);
});

function throwsOneLine(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.doesNotMatch(error.oneLine(), /\n/);
    assert.match(error.oneLine(), pattern);
    return true;
  });
}

test('bad input: an unknown ecosystem fails naming the record, never an empty result', () => {
  const record = parseOsvRecord(
    { id: 'CVE-2023-1', modified: 'x', affected: [{ package: { ecosystem: 'Debain:12', name: 'zlib' }, versions: ['1'] }] },
    'bad.json',
  );
  throwsOneLine(() => matchPackages([zlib1g], [...parsed('zlib'), record]), /^OSV record CVE-2023-1: affected\[0\]: unknown ecosystem "Debain:12"$/);
  throwsOneLine(() => matchPackages([{ ...zlib1g, ecosystem: 'Alpine:v3.19' }], []), /unknown ecosystem "Alpine:v3.19"/);
});

test('bad input: a range whose events do not start with introduced fails naming the record and range', () => {
  const record = parseOsvRecord(
    {
      id: 'DSA-9999-1',
      modified: 'x',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1:1.3' }, { introduced: '0' }] }] }],
    },
    'bad.json',
  );
  throwsOneLine(() => matchPackages([zlib1g], [record]), /^OSV record DSA-9999-1: affected\[0\]\.ranges\[0\]: .*must start with "introduced"$/);
});

test('bad input: a version the ecosystem cannot order fails naming the record', () => {
  const record = parseOsvRecord(
    { id: 'GHSA-xxxx', modified: 'x', affected: [{ package: { ecosystem: 'PyPI', name: 'urllib3' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not a version' }] }] }] },
    'bad.json',
  );
  throwsOneLine(() => matchPackages([{ ecosystem: 'PyPI', name: 'urllib3', version: '2.0.4' }], [record]), /^OSV record GHSA-xxxx: ranges\[0\]: "not a version" is not a PEP 440 version$/);
});

test('bad input: schema errors name the file, the record and the field', () => {
  throwsOneLine(() => parseOsvRecord({ id: 'CVE-2023-5363', affected: [] }, 'a.json'), /^a\.json: OSV record CVE-2023-5363: modified: /);
  throwsOneLine(
    () => parseOsvRecord({ id: 'DSA-1', modified: 'x', affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] }, 'b.json'),
    /^b\.json: OSV record DSA-1: affected\[0\]\.ranges\[0\]\.events\[0\]: an event has exactly one of/,
  );
  throwsOneLine(
    () => parseOsvRecord({ id: 'DSA-2', modified: 'x', affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'RANGE', events: [{ introduced: '0' }] }] }] }, 'c.json'),
    /^c\.json: OSV record DSA-2: affected\[0\]\.ranges\[0\]\.type: /,
  );
  throwsOneLine(() => parseOsvRecord([], 'd.json'), /^d\.json: OSV record \(no id\): \(record\): /);
  throwsOneLine(() => parseOsvJson('{"id": "CVE-2023-5363", ', 'e.json'), /^e\.json: not valid JSON: /);
  assert.equal(parseOsvJson(JSON.stringify(records.dsa), 'dsa.json').id, 'DSA-5532-1');
});
