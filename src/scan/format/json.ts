// kiln's JSON report: every finding with its ids, package, versions and rating, per scanned image.
import type { IgnoredFinding, RatedFinding, ScanResult } from '../scan.js';

/** SCAN_REPORT_FORMAT versions the JSON report's shape. */
export const SCAN_REPORT_FORMAT = 1;

/** ScanFindingJson is one vulnerability of `kiln scan --json` (--format json). */
export interface ScanFindingJson {
  id: string;
  aliases: string[];
  records: RatedFinding['records'];
  package: string;
  ecosystem: RatedFinding['package']['ecosystem'];
  source?: string;
  installed: string;
  sourceVersion?: string;
  fixed: string | null;
  severity: RatedFinding['rating']['severity'];
  score?: number;
  severitySource: RatedFinding['rating']['source'];
  summary?: string;
}

/** ScanIgnoredJson is a finding an ignore file left out, with the rule that did. */
export interface ScanIgnoredJson extends ScanFindingJson {
  rule: { id: string; package?: string; reason: string; expires?: string; line: number };
}

/** ScanJson is the document `kiln scan --json` (--format json) prints. */
export interface ScanJson {
  format: typeof SCAN_REPORT_FORMAT;
  database: { where: string; records: number };
  results: Array<{
    target: string;
    packages: number;
    vulnerabilities: ScanFindingJson[];
    ignored: ScanIgnoredJson[];
    expiredIgnores: ScanIgnoredJson[];
    filtered: ScanResult['filtered'];
  }>;
}

function findingJson(finding: RatedFinding): ScanFindingJson {
  return {
    id: finding.id,
    aliases: finding.ids.filter((id) => id !== finding.id),
    records: finding.records,
    package: finding.package.name,
    ecosystem: finding.package.ecosystem,
    ...(finding.package.source && finding.package.source !== finding.package.name ? { source: finding.package.source } : {}),
    installed: finding.package.version,
    ...(finding.package.sourceVersion ? { sourceVersion: finding.package.sourceVersion } : {}),
    fixed: finding.fixed ?? null,
    severity: finding.rating.severity,
    ...(finding.rating.score === undefined ? {} : { score: finding.rating.score }),
    severitySource: finding.rating.source,
    ...(finding.summary ? { summary: finding.summary } : {}),
  };
}

function ignoredJson({ finding, rule }: IgnoredFinding): ScanIgnoredJson {
  return { ...findingJson(finding), rule: { id: rule.id, ...(rule.package ? { package: rule.package } : {}), reason: rule.reason, ...(rule.expires ? { expires: rule.expires } : {}), line: rule.line } };
}

/** formatJson renders scans as one JSON document. */
export function formatJson(results: readonly ScanResult[], database: { where: string; records: number }): string {
  const document: ScanJson = {
    format: SCAN_REPORT_FORMAT,
    database,
    results: results.map((result) => ({
      target: result.target,
      packages: result.packages.length,
      vulnerabilities: result.findings.map(findingJson),
      ignored: result.ignored.map(ignoredJson),
      expiredIgnores: result.expired.map(ignoredJson),
      filtered: result.filtered,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
