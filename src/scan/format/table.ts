// The table a person reads: per image, totals by severity, one row per finding (worst first), then what the
// ignore file hid and which of its entries have expired.
import { SEVERITIES } from '../severity.js';
import type { RatedFinding, ScanResult } from '../scan.js';

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function installed(finding: RatedFinding): string {
  const { version, sourceVersion } = finding.package;
  return sourceVersion && sourceVersion !== version ? `${version} (source ${sourceVersion})` : version;
}

function title(finding: RatedFinding): string {
  const text = finding.summary ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** totals counts findings by severity, trivy's way: `Total: 3 (UNKNOWN: 0, LOW: 1, ...)`. */
export function totals(findings: readonly RatedFinding[]): string {
  const counts = [...SEVERITIES].reverse().map((severity) => `${severity}: ${findings.filter((finding) => finding.rating.severity === severity).length}`);
  return `Total: ${findings.length} (${counts.join(', ')})`;
}

/** formatTable renders one scan as text. */
export function formatTable(result: ScanResult): string {
  const lines = [`${result.target} (${result.packages.length} packages)`, totals(result.findings)];
  if (result.findings.length) {
    lines.push('');
    lines.push(columns([
      ['Package', 'Vulnerability', 'Severity', 'Installed', 'Fixed', 'Title'],
      ...result.findings.map((finding) => [
        finding.package.name, finding.id, finding.rating.severity, installed(finding), finding.fixed ?? '(unfixed)', title(finding),
      ]),
    ]));
  }
  if (result.ignored.length) {
    lines.push('', `Ignored: ${result.ignored.length}`);
    for (const { finding, rule } of result.ignored) {
      lines.push(`  ${finding.id} in ${finding.package.name}: ${rule.reason}${rule.expires ? ` (until ${rule.expires})` : ''}`);
    }
  }
  for (const { finding, rule } of result.expired) {
    lines.push('', `Expired ignore (line ${rule.line}): ${finding.id} in ${finding.package.name} was accepted until ${rule.expires}, so it is reported again`);
  }
  if (result.filtered) lines.push('', `${result.filtered} more hidden by --severity / --ignore-unfixed`);
  return `${lines.join('\n')}\n`;
}
