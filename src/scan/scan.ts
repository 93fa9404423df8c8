// One scan: match an image's packages against the advisories read for them, rate each finding, then apply
// the user's filters (severity, unfixed) and ignore rules, keeping what was dropped and why for the report.
import { advisoryKey, installedKey, matchPackages, type Finding, type InstalledPackage } from '../osv/match.js';
import type { OsvRecord } from '../osv/schema.js';
import { isExpired, type IgnoreRule } from './ignore-file.js';
import { rateFinding, rank, type AdvisoryRatings, type Severity, type SeverityRating } from './severity.js';

/** ScanOptions are trivy's filters: which severities to report, whether to drop unfixed findings, what to ignore. */
export interface ScanOptions {
  /** severities to report; absent means all. */
  severities?: readonly Severity[];
  ignoreUnfixed?: boolean;
  ignores?: readonly IgnoreRule[];
  /** today is YYYY-MM-DD (UTC), for ignore rules' expiry. */
  today: string;
}

/** RatedFinding is a finding with its severity. */
export interface RatedFinding extends Finding {
  rating: SeverityRating;
}

/** IgnoredFinding is a finding an ignore rule matched (an expired rule no longer hides it). */
export interface IgnoredFinding {
  finding: RatedFinding;
  rule: IgnoreRule;
}

/** ScanResult is one image's scan. */
export interface ScanResult {
  /** target names what was scanned: an entry name or a place. */
  target: string;
  packages: readonly InstalledPackage[];
  /** findings are what remains after filters and ignore rules, worst first. */
  findings: RatedFinding[];
  /** ignored are hidden by a rule in force. */
  ignored: IgnoredFinding[];
  /** expired matched a rule past its date: they stay in `findings`, and the report says so. */
  expired: IgnoredFinding[];
  /** filtered counts findings dropped by --severity or --ignore-unfixed. */
  filtered: number;
}

function vendorRatings(finding: Finding, records: ReadonlyMap<string, OsvRecord>): AdvisoryRatings['vendor'] {
  const key = installedKey(finding.package);
  const vendor: { kind: 'debian-urgency' | 'ghsa'; value: string }[] = [];
  const field = (data: unknown, name: string): string | undefined => {
    const value = data && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  for (const id of finding.records) {
    const record = records.get(id);
    if (!record) continue;
    const ghsa = field(record.database_specific, 'severity');
    if (ghsa) vendor.push({ kind: 'ghsa', value: ghsa });
    for (const affected of record.affected) {
      if (advisoryKey(affected.package.ecosystem, affected.package.name) !== key) continue;
      const urgency = field(affected.ecosystem_specific, 'urgency');
      if (urgency) vendor.push({ kind: 'debian-urgency', value: urgency });
      const own = field(affected.database_specific, 'severity');
      if (own) vendor.push({ kind: 'ghsa', value: own });
    }
  }
  return vendor;
}

function ruleMatches(rule: IgnoreRule, finding: Finding): boolean {
  const id = rule.id.toUpperCase();
  if (!finding.ids.some((alias) => alias.toUpperCase() === id)) return false;
  return rule.package === undefined || rule.package === finding.package.name || rule.package === finding.package.source;
}

/** bySeverity sorts worst first, then by package and id, so tables and reports read the same each run. */
export function bySeverity(a: RatedFinding, b: RatedFinding): number {
  const order = rank(b.rating.severity) - rank(a.rating.severity);
  if (order) return order;
  if (a.package.name !== b.package.name) return a.package.name < b.package.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** scanPackages matches, rates, filters and applies ignore rules for one image's packages. */
export function scanPackages(target: string, packages: readonly InstalledPackage[], records: readonly OsvRecord[], options: ScanOptions): ScanResult {
  const byId = new Map(records.map((record) => [record.id, record]));
  const result: ScanResult = { target, packages, findings: [], ignored: [], expired: [], filtered: 0 };
  for (const finding of matchPackages(packages, records)) {
    const rated: RatedFinding = { ...finding, rating: rateFinding({ severity: finding.severity, vendor: vendorRatings(finding, byId) }) };
    if ((options.severities && !options.severities.includes(rated.rating.severity)) || (options.ignoreUnfixed && rated.fixed === undefined)) {
      result.filtered++;
      continue;
    }
    const rules = (options.ignores ?? []).filter((rule) => ruleMatches(rule, rated));
    const active = rules.find((rule) => !isExpired(rule, options.today));
    if (active) {
      result.ignored.push({ finding: rated, rule: active });
      continue;
    }
    if (rules.length) result.expired.push({ finding: rated, rule: rules[0]! });
    result.findings.push(rated);
  }
  result.findings.sort(bySeverity);
  return result;
}
