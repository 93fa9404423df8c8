// kiln's JSON report: every finding with its ids, package, versions and rating, per scanned image.
import type { IgnoredFinding, RatedFinding, ScanResult } from '../scan.js';

/** SCAN_REPORT_FORMAT versions the JSON report's shape. */
export const SCAN_REPORT_FORMAT = 1;

function findingJson(finding: RatedFinding): Record<string, unknown> {
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

function ignoredJson({ finding, rule }: IgnoredFinding): Record<string, unknown> {
  return { ...findingJson(finding), rule: { id: rule.id, ...(rule.package ? { package: rule.package } : {}), reason: rule.reason, ...(rule.expires ? { expires: rule.expires } : {}), line: rule.line } };
}

/** formatJson renders scans as one JSON document. */
export function formatJson(results: readonly ScanResult[], database: { where: string; records: number }): string {
  return `${JSON.stringify({
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
  }, null, 2)}\n`;
}
