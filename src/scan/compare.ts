// kiln's image against another image of the same app (a python:3.11-slim-style base, say): how many
// vulnerabilities each holds by severity, and how many only the other one has. Counted by vulnerability id, so
// one CVE in five binary packages of one source counts once, as people read advisories.
import { SEVERITIES, type Severity } from './severity.js';
import type { ScanResult } from './scan.js';

/** ComparisonRow is one severity's counts. */
export interface ComparisonRow {
  severity: Severity | 'Total';
  ours: number;
  theirs: number;
  onlyTheirs: number;
  onlyOurs: number;
}

function idsBySeverity(result: ScanResult): Map<Severity, Set<string>> {
  const ids = new Map<Severity, Set<string>>(SEVERITIES.map((severity) => [severity, new Set<string>()]));
  // A vulnerability rated differently in two packages counts at its worst rating.
  const worst = new Map<string, Severity>();
  for (const finding of result.findings) {
    const previous = worst.get(finding.id);
    if (!previous || SEVERITIES.indexOf(finding.rating.severity) < SEVERITIES.indexOf(previous)) worst.set(finding.id, finding.rating.severity);
  }
  for (const [id, severity] of worst) ids.get(severity)!.add(id);
  return ids;
}

/** compareScans counts the vulnerabilities of two scans by severity, most severe first, with a total row. */
export function compareScans(ours: ScanResult, theirs: ScanResult): ComparisonRow[] {
  const [a, b] = [idsBySeverity(ours), idsBySeverity(theirs)];
  const allOurs = new Set(ours.findings.map((finding) => finding.id));
  const allTheirs = new Set(theirs.findings.map((finding) => finding.id));
  const rows: ComparisonRow[] = SEVERITIES.map((severity) => ({
    severity,
    ours: a.get(severity)!.size,
    theirs: b.get(severity)!.size,
    onlyTheirs: [...b.get(severity)!].filter((id) => !allOurs.has(id)).length,
    onlyOurs: [...a.get(severity)!].filter((id) => !allTheirs.has(id)).length,
  }));
  const sum = (key: 'ours' | 'theirs' | 'onlyTheirs' | 'onlyOurs'): number => rows.reduce((total, row) => total + row[key], 0);
  return [...rows, { severity: 'Total', ours: sum('ours'), theirs: sum('theirs'), onlyTheirs: sum('onlyTheirs'), onlyOurs: sum('onlyOurs') }];
}

/** formatComparison renders the comparison as a table. */
export function formatComparison(ours: ScanResult, theirs: ScanResult): string {
  const rows = compareScans(ours, theirs);
  const table = [
    ['Severity', ours.target, theirs.target, `only in ${theirs.target}`, `only in ${ours.target}`],
    ...rows.map((row) => [row.severity, String(row.ours), String(row.theirs), String(row.onlyTheirs), String(row.onlyOurs)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  return [`Vulnerabilities (by id) in ${ours.target} (${ours.packages.length} packages) and ${theirs.target} (${theirs.packages.length} packages)`, '', ...lines, ''].join('\n');
}
