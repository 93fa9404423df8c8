// SARIF 2.1.0 shaped as trivy writes it, so code-scanning dashboards that take trivy's output take kiln's:
// one rule per vulnerability, one result per vulnerable package, `security-severity` from the CVSS score.
import type { Severity } from '../severity.js';
import type { RatedFinding, ScanResult } from '../scan.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note' | 'none'> = {
  CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', UNKNOWN: 'note',
};
// GitHub ranks by `security-severity`; without a CVSS score, a number inside the severity's band stands in.
const BAND_SCORE: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: '0.0' };

/** advisoryUrl is where a person reads about an id. */
export function advisoryUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

function ruleOf(finding: RatedFinding): Record<string, unknown> {
  const severity = finding.rating.severity;
  const text = finding.summary ?? finding.id;
  return {
    id: finding.id,
    name: finding.package.ecosystem === 'PyPI' ? 'LanguageSpecificPackageVulnerability' : 'OsPackageVulnerability',
    shortDescription: { text },
    fullDescription: { text },
    defaultConfiguration: { level: LEVEL[severity] },
    helpUri: advisoryUrl(finding.id),
    help: {
      text: `Vulnerability ${finding.id}\nSeverity: ${severity}\nPackage: ${finding.package.name}\nFixed Version: ${finding.fixed ?? ''}\nLink: ${advisoryUrl(finding.id)}\n${text}`,
      markdown: `**Vulnerability ${finding.id}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|${severity}|${finding.package.name}|${finding.fixed ?? ''}|[${finding.id}](${advisoryUrl(finding.id)})|\n\n${text}`,
    },
    properties: {
      precision: 'very-high',
      'security-severity': finding.rating.score === undefined ? BAND_SCORE[severity] : finding.rating.score.toFixed(1),
      tags: ['vulnerability', 'security', severity],
    },
  };
}

/** formatSarif renders scans as one SARIF 2.1.0 log with one run. */
export function formatSarif(results: readonly ScanResult[], version: string): string {
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  const sarifResults: Record<string, unknown>[] = [];
  for (const result of results) {
    for (const finding of result.findings) {
      if (!ruleIndex.has(finding.id)) {
        ruleIndex.set(finding.id, rules.length);
        rules.push(ruleOf(finding));
      }
      const message = `Package: ${finding.package.name}\nInstalled Version: ${finding.package.version}\nVulnerability ${finding.id}\nSeverity: ${finding.rating.severity}\nFixed Version: ${finding.fixed ?? ''}\nLink: [${finding.id}](${advisoryUrl(finding.id)})`;
      sarifResults.push({
        ruleId: finding.id,
        ruleIndex: ruleIndex.get(finding.id),
        level: LEVEL[finding.rating.severity],
        message: { text: message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: result.target, uriBaseId: 'ROOTPATH' },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
          },
          message: { text: `${result.target}: ${finding.package.name}@${finding.package.version}` },
        }],
      });
    }
  }
  return `${JSON.stringify({
    version: '2.1.0',
    $schema: 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json',
    runs: [{
      tool: { driver: { fullName: 'kiln', informationUri: 'https://github.com/kiln/kiln', name: 'kiln', rules, version } },
      results: sarifResults,
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
    }],
  }, null, 2)}\n`;
}
