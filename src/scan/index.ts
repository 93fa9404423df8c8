// Scanning images against OSV: open the database (the cache or --db), read the advisories for every package of
// every target in one pass, then scan each target. The CLI and the publish gate both come through here.
import type { BlobStore } from '../cache/blob-store.js';
import { ecosystemId, type InstalledPackage } from '../osv/match.js';
import { openDatabaseAt, readRecords, type OsvDatabase } from '../osv/db/read.js';
import { cachedDatabase } from '../osv/db/store.js';
import { scanPackages, type ScanOptions, type ScanResult } from './scan.js';

export { scanPackages, bySeverity, type ScanOptions, type ScanResult, type RatedFinding, type IgnoredFinding } from './scan.js';
export { readIgnoreFile, type IgnoreRule } from './ignore-file.js';
export { SEVERITIES, type Severity } from './severity.js';

/** DEFAULT_MAX_DB_AGE_DAYS is how old the database may be before a scan warns: OSV's exports change daily. */
export const DEFAULT_MAX_DB_AGE_DAYS = 7;

/** ScanTarget is one image to scan: a name for the report and its installed packages. */
export interface ScanTarget {
  name: string;
  packages: InstalledPackage[];
}

/** DatabaseChoice says which database to use: `path` (--db) or the cache, and how old is too old. */
export interface DatabaseChoice {
  path?: string;
  store: BlobStore;
  maxAgeDays?: number;
  now?: Date;
}

/** ScanRun is every target's result and what reading the database said along the way. */
export interface ScanRun {
  results: ScanResult[];
  database: { where: string; records: number };
  /** warnings are one line each: a stale database, records naming ecosystems kiln does not know. */
  warnings: string[];
}

/** ecosystemsOf lists the ecosystems `targets` need advisories for, each once, in first-seen order. */
export function ecosystemsOf(targets: readonly ScanTarget[]): string[] {
  const seen = new Map<string, string>();
  for (const target of targets) for (const pkg of target.packages) {
    const id = ecosystemId(pkg.ecosystem) ?? pkg.ecosystem;
    if (!seen.has(id)) seen.set(id, pkg.ecosystem);
  }
  return [...seen.values()];
}

/** staleWarnings says, one line per part, which parts of `db` were fetched more than `maxAgeDays` ago. */
export function staleWarnings(db: OsvDatabase, maxAgeDays: number, now: Date): string[] {
  const warnings: string[] = [];
  for (const { what, date } of db.fetched) {
    const days = Math.floor((now.getTime() - date.getTime()) / 86_400_000);
    if (days > maxAgeDays) warnings.push(`the OSV data for ${what} is ${days} days old (more than --max-db-age ${maxAgeDays}): run kiln db update`);
  }
  return warnings;
}

/** scanTargets opens the database, reads the advisories of all targets' packages once and scans each target. */
export async function scanTargets(targets: readonly ScanTarget[], choice: DatabaseChoice, options: ScanOptions): Promise<ScanRun> {
  const ecosystems = ecosystemsOf(targets);
  const warnings: string[] = [];
  if (ecosystems.length === 0) {
    return { results: targets.map((target) => scanPackages(target.name, target.packages, [], options)), database: { where: '(none needed)', records: 0 }, warnings };
  }
  const db = choice.path ? await openDatabaseAt(choice.path, ecosystems) : await cachedDatabase(choice.store, ecosystems);
  warnings.push(...staleWarnings(db, choice.maxAgeDays ?? DEFAULT_MAX_DB_AGE_DAYS, choice.now ?? new Date()));
  const read = await readRecords(db, targets.flatMap((target) => target.packages));
  if (read.unknownEcosystems.size) {
    const total = [...read.unknownEcosystems.values()].reduce((a, b) => a + b, 0);
    const names = [...read.unknownEcosystems.keys()].sort();
    warnings.push(`skipped ${total} affected ${total === 1 ? 'entry' : 'entries'} naming ecosystems kiln does not scan (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`);
  }
  const results = targets.map((target) => scanPackages(target.name, target.packages, read.records, options));
  return { results, database: { where: db.where, records: read.read }, warnings };
}
