// Matching installed packages against OSV records: which advisories apply, from which version they are
// fixed, and which ids (CVE, DSA, GHSA...) are one vulnerability.
import { compare as comparePep440, valid as validPep440 } from '@renovatebot/pep440';
import { compareVersions as compareDpkg, parseVersion as parseDpkg } from '../debian/version.js';
import { InputError, KilnError } from '../errors.js';
import { normalizeName } from '../python/names.js';
import type { OsvAffected, OsvRange, OsvRecord } from './schema.js';

/** InstalledPackage is one package found in an image, as an SBOM lists it. */
export interface InstalledPackage {
  /** ecosystem is OSV's name with the release: `Debian:12`, `Ubuntu:22.04`, `PyPI`. */
  ecosystem: string;
  name: string;
  version: string;
  /** source is the Debian/Ubuntu source package, which advisories are keyed by; defaults to name. */
  source?: string;
  /** sourceVersion is the source package's version when it differs from the binary's (binNMUs). */
  sourceVersion?: string;
}

/** Finding is one vulnerability in one installed package, its ids merged across advisories. */
export interface Finding {
  /** id is the preferred id: a CVE when there is one, else the smallest id. */
  id: string;
  /** ids are every id and alias of the merged advisories, sorted. */
  ids: string[];
  /** records are the ids of the records that matched, sorted. */
  records: string[];
  package: InstalledPackage;
  /** fixed is the version that fixes it, absent when no fix is known (unfixed). */
  fixed?: string;
  summary?: string;
  severity: { type: string; score: string }[];
}

type Family = 'Debian' | 'Ubuntu' | 'PyPI';

interface Ecosystem {
  family: Family;
  /** release is `12` for Debian:12, `22.04` for Ubuntu:22.04(:LTS), empty for PyPI. */
  release: string;
  /** variant marks records kiln never matches against a plain install, e.g. Ubuntu Pro's. */
  variant?: string;
}

/** parseEcosystem splits an OSV ecosystem into family and release, or returns undefined for one kiln does not know. */
export function parseEcosystem(text: string): Ecosystem | undefined {
  const [family, ...rest] = text.split(':');
  if (family === 'PyPI') return rest.length === 0 ? { family, release: '' } : undefined;
  if (family === 'Debian') return rest.length === 1 && /^\d+$/.test(rest[0]!) ? { family, release: rest[0]! } : undefined;
  if (family === 'Ubuntu') {
    // Ubuntu's OSV names releases `Ubuntu:22.04:LTS`, its paid streams `Ubuntu:Pro:...`.
    const parts = rest.filter((part) => part !== 'LTS');
    if (parts[0] === 'Pro' || parts[0] === 'Pro FIPS' || parts[0] === 'FIPS') {
      return { family, release: parts.slice(1).join(':'), variant: parts[0] };
    }
    return parts.length === 1 && /^\d+\.\d+$/.test(parts[0]!) ? { family, release: parts[0]! } : undefined;
  }
  return undefined;
}

function ecosystemKey(ecosystem: Ecosystem): string {
  return [ecosystem.family, ecosystem.variant ?? '', ecosystem.release].join(':');
}

/** ecosystemId names an ecosystem up to spelling (`Ubuntu:24.04:LTS` is `Ubuntu:24.04`); undefined for one kiln does not know. */
export function ecosystemId(text: string): string | undefined {
  const ecosystem = parseEcosystem(text);
  return ecosystem && ecosystemKey(ecosystem);
}

/** advisoryKey is where an advisory for package `name` in `ecosystem` is filed; undefined for an unknown ecosystem. */
export function advisoryKey(ecosystem: string, name: string): string | undefined {
  const parsed = parseEcosystem(ecosystem);
  return parsed && `${ecosystemKey(parsed)}/${packageKey(parsed.family, name)}`;
}

/** installedKey is the advisory key an installed package is matched by: its source package on Debian and Ubuntu. */
export function installedKey(pkg: InstalledPackage): string {
  const ecosystem = parseEcosystem(pkg.ecosystem);
  if (!ecosystem || ecosystem.variant) throw new InputError(`package ${pkg.name}: unknown ecosystem "${pkg.ecosystem}"`);
  const name = ecosystem.family === 'PyPI' ? pkg.name : (pkg.source ?? pkg.name);
  return `${ecosystemKey(ecosystem)}/${packageKey(ecosystem.family, name)}`;
}

/** packageKey is the name advisories use: the source package on Debian/Ubuntu, the PEP 503 name on PyPI. */
function packageKey(family: Family, name: string): string {
  return family === 'PyPI' ? normalizeName(name) : name;
}

type Compare = (a: string, b: string) => number;

function ecosystemOrder(family: Family): Compare {
  if (family === 'PyPI') {
    return (a, b) => {
      for (const version of [a, b]) {
        if (!validPep440(version)) throw new KilnError(`"${version}" is not a PEP 440 version`);
      }
      return comparePep440(a, b);
    };
  }
  return (a, b) => {
    parseDpkg(a);
    parseDpkg(b);
    return compareDpkg(a, b);
  };
}

const semverPattern = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** compareSemver orders SemVer 2.0 versions: numeric core, then a pre-release sorts before its release. */
function compareSemver(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => {
    const match = semverPattern.exec(version);
    if (!match) throw new KilnError(`"${version}" is not a SemVer version`);
    return match;
  }) as [RegExpExecArray, RegExpExecArray];
  for (let i = 1; i <= 3; i++) {
    const difference = Number(x[i]) - Number(y[i]);
    if (difference) return Math.sign(difference);
  }
  if (x[4] === y[4]) return 0;
  if (x[4] === undefined) return 1;
  if (y[4] === undefined) return -1;
  const [p, q] = [x[4].split('.'), y[4].split('.')];
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    if (p[i] === undefined) return -1;
    if (q[i] === undefined) return 1;
    const [m, n] = [p[i]!, q[i]!];
    const [mNum, nNum] = [/^\d+$/.test(m), /^\d+$/.test(n)];
    if (mNum && nNum && Number(m) !== Number(n)) return Math.sign(Number(m) - Number(n));
    if (mNum !== nNum) return mNum ? -1 : 1;
    if (m !== n) return m < n ? -1 : 1;
  }
  return 0;
}

/** checkRange refuses a range OSV does not allow: its first event must be an `introduced`. */
function checkRange(range: OsvRange): void {
  const first = range.events[0]!;
  if (!('introduced' in first)) throw new KilnError(`a ${range.type} range's events must start with "introduced"`);
}

/**
 * checkAffected checks an affected entry of a known ecosystem before matching: every range starts with an
 * `introduced` and every event's version is one its ordering can compare, so a database reader can name the
 * file of a malformed record instead of failing later in the middle of a match.
 */
export function checkAffected(affected: OsvAffected): void {
  const ecosystem = parseEcosystem(affected.package.ecosystem);
  if (!ecosystem) throw new KilnError(`unknown ecosystem "${affected.package.ecosystem}"`);
  const order = ecosystemOrder(ecosystem.family);
  affected.ranges.forEach((range, j) => {
    try {
      checkRange(range);
      if (range.type === 'GIT') return;
      const compare = range.type === 'SEMVER' ? compareSemver : order;
      for (const event of range.events) {
        const [kind, version] = Object.entries(event)[0]!;
        if ((kind === 'introduced' && version === '0') || (kind === 'limit' && version === '*')) continue;
        compare(version, version);
      }
    } catch (error) {
      throw new KilnError(`ranges[${j}]: ${(error as Error).message}`, { cause: error });
    }
  });
}

interface RangeResult {
  affected: boolean;
  /** fixed is the fix that ends the interval `version` lies in, when the range names one. */
  fixed?: string;
}

/**
 * evaluateRange applies OSV's algorithm: events in version order open (introduced) and close (fixed, or
 * past last_affected) intervals; `limit` bounds them all. `"0"` introduced means from the first version.
 */
function evaluateRange(range: OsvRange, version: string, compare: Compare): RangeResult {
  const value = (event: OsvRange['events'][number]): string => Object.values(event)[0]!;
  const ordered = [...range.events].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    if (x === y) return 0;
    if ('introduced' in a && x === '0') return -1;
    if ('introduced' in b && y === '0') return 1;
    return compare(x, y);
  });
  for (const event of ordered) {
    if ('limit' in event && event.limit !== '*' && compare(version, event.limit) >= 0) return { affected: false };
  }
  let affected = false;
  let openIndex = -1;
  ordered.forEach((event, index) => {
    if ('introduced' in event) {
      if (event.introduced === '0' || compare(version, event.introduced) >= 0) {
        affected = true;
        openIndex = index;
      }
    } else if ('fixed' in event) {
      if (compare(version, event.fixed) >= 0) affected = false;
    } else if ('last_affected' in event) {
      if (compare(version, event.last_affected) > 0) affected = false;
    }
  });
  if (!affected) return { affected };
  // The interval's end is the first fixed or last_affected after the introduced that opened it.
  for (const event of ordered.slice(openIndex + 1)) {
    if ('fixed' in event) return { affected, fixed: event.fixed };
    if ('last_affected' in event) return { affected };
  }
  return { affected };
}

interface Hit {
  record: OsvRecord;
  affected: OsvAffected;
  order: Compare;
}

/** indexRecords checks every record and files its affected entries under ecosystem and package name. */
function indexRecords(records: Iterable<OsvRecord>): Map<string, Hit[]> {
  const index = new Map<string, Hit[]>();
  for (const record of records) {
    if (record.withdrawn) continue;
    record.affected.forEach((affected, i) => {
      const where = `OSV record ${record.id}: affected[${i}]`;
      const ecosystem = parseEcosystem(affected.package.ecosystem);
      if (!ecosystem) throw new InputError(`${where}: unknown ecosystem "${affected.package.ecosystem}"`);
      affected.ranges.forEach((range, j) => {
        try {
          checkRange(range);
        } catch (error) {
          throw new InputError(`${where}.ranges[${j}]: ${(error as Error).message}`, { cause: error });
        }
      });
      const key = `${ecosystemKey(ecosystem)}/${packageKey(ecosystem.family, affected.package.name)}`;
      let hits = index.get(key);
      if (!hits) index.set(key, (hits = []));
      hits.push({ record, affected, order: ecosystemOrder(ecosystem.family) });
    });
  }
  return index;
}

/** affects says whether one affected entry covers `version`, and from which version it is fixed. */
function affects(hit: Hit, version: string): RangeResult {
  const where = `OSV record ${hit.record.id}`;
  if (hit.affected.versions.some((listed) => listed === version || sameVersion(hit.order, listed, version))) {
    // An exact listing says nothing of the fix; a range may still name it below.
    const ranged = rangesAffect(hit, version, where);
    return { affected: true, fixed: ranged.affected ? ranged.fixed : undefined };
  }
  return rangesAffect(hit, version, where);
}

/** sameVersion compares in the ecosystem's order, so PyPI's `1.0` lists `1.0.0`; an unparsable listing is no match. */
function sameVersion(order: Compare, a: string, b: string): boolean {
  try {
    return order(a, b) === 0;
  } catch {
    return false;
  }
}

function rangesAffect(hit: Hit, version: string, where: string): RangeResult {
  for (const [j, range] of hit.affected.ranges.entries()) {
    // GIT ranges are commits, which an installed package does not record; the ECOSYSTEM ranges beside them count.
    if (range.type === 'GIT') continue;
    const order = range.type === 'SEMVER' ? compareSemver : hit.order;
    let result: RangeResult;
    try {
      result = evaluateRange(range, version, order);
    } catch (error) {
      throw new InputError(`${where}: ranges[${j}]: ${(error as Error).message}`, { cause: error });
    }
    if (result.affected) return result;
  }
  return { affected: false };
}

/** UnionFind joins ids that name the same vulnerability. */
class UnionFind {
  private parent = new Map<string, string>();

  find(id: string): string {
    let root = id;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    this.parent.set(id, root);
    return root;
  }

  union(a: string, b: string): void {
    const [x, y] = [this.find(a), this.find(b)];
    if (x !== y) this.parent.set(x < y ? y : x, x < y ? x : y);
  }
}

/**
 * sameVulnerability lists the ids that name the record's vulnerability: its aliases, and its `upstream` id when
 * there is only one (Debian's and Ubuntu's per-distribution copies of a CVE). A DSA listing several upstream CVEs
 * is not any one of them, so those stay apart.
 */
function sameVulnerability(record: OsvRecord): string[] {
  return record.upstream.length === 1 ? [...record.aliases, record.upstream[0]!] : record.aliases;
}

function firstSentence(text: string | undefined): string | undefined {
  const line = text?.trim().split('\n')[0]?.trim();
  if (!line) return undefined;
  const end = line.search(/\.(\s|$)/);
  return end > 0 ? line.slice(0, end + 1) : line;
}

function preferredId(ids: string[]): string {
  return ids.find((id) => id.startsWith('CVE-')) ?? ids[0]!;
}

/**
 * matchPackages returns the findings for `packages` against `records`, one per vulnerability and package,
 * sorted by package then id. A record with an unknown ecosystem or a malformed range fails the whole match
 * with one line naming it, so a bad database never reads as "no vulnerabilities".
 */
export function matchPackages(packages: readonly InstalledPackage[], records: Iterable<OsvRecord>): Finding[] {
  const index = indexRecords(records);
  const findings: Finding[] = [];
  for (const pkg of packages) {
    const key = installedKey(pkg);
    const version = parseEcosystem(pkg.ecosystem)!.family === 'PyPI' ? pkg.version : (pkg.sourceVersion ?? pkg.version);
    const hits = index.get(key) ?? [];
    const matched: { hit: Hit; fixed?: string }[] = [];
    for (const hit of hits) {
      const result = affects(hit, version);
      if (result.affected) matched.push({ hit, fixed: result.fixed });
    }
    // Aliases join within one package: the same CVE in two packages is two things to upgrade.
    const sets = new UnionFind();
    for (const { hit } of matched) for (const alias of sameVulnerability(hit.record)) sets.union(hit.record.id, alias);
    const groups = new Map<string, typeof matched>();
    for (const entry of matched) {
      const root = sets.find(entry.hit.record.id);
      groups.set(root, [...(groups.get(root) ?? []), entry]);
    }
    for (const group of groups.values()) {
      const ids = [...new Set(group.flatMap(({ hit }) => [hit.record.id, ...sameVulnerability(hit.record)]))].sort();
      const records = [...new Set(group.map(({ hit }) => hit.record.id))].sort();
      // Advisories may disagree on the fix; the highest one is the version that fixes every one of them.
      const fixes = group.map(({ fixed }) => fixed).filter((fixed): fixed is string => fixed !== undefined);
      const order = group[0]!.hit.order;
      const fixed = fixes.length ? fixes.reduce((a, b) => (order(a, b) >= 0 ? a : b)) : undefined;
      // Debian's and Ubuntu's per-CVE records carry only `details`: its first sentence stands in as the summary.
      const advisories = group.map(({ hit }) => hit.record);
      const summary = advisories.find((record) => record.summary)?.summary ?? firstSentence(advisories.find((record) => record.details)?.details);
      const severity = group.flatMap(({ hit }) => [...hit.record.severity, ...(hit.affected.severity ?? [])]);
      findings.push({
        id: preferredId(ids),
        ids,
        records,
        package: pkg,
        ...(fixed === undefined ? {} : { fixed }),
        ...(summary === undefined ? {} : { summary }),
        severity,
      });
    }
  }
  return findings.sort((a, b) =>
    a.package.name === b.package.name ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.package.name < b.package.name ? -1 : 1,
  );
}
