// The table `kiln build` and `kiln push` end with: one row per entry, plus where it was published.
import type { EntryResult } from '../apply/build-entries.js';
import type { PublishResult } from '../apply/publish.js';
import { formatBytes } from './progress.js';

/** summaryTable renders entry results (and publish results, when there are any) as aligned columns. */
export function summaryTable(results: EntryResult[], published: PublishResult[] = []): string {
  const rows: string[][] = [['ENTRY', 'STATUS', 'DIGEST', 'SIZE', 'TIME', ...(published.length ? ['PUBLISHED'] : [])]];
  for (const result of results) {
    const mine = published.filter((p) => p.name === result.name);
    const publishCell = mine.map((p) => `${p.registry}:${p.status}`).join(' ') || '-';
    rows.push([
      result.name,
      result.status,
      result.report ? result.report.digest.slice(0, 19) : '-',
      result.report ? formatBytes(result.report.size) : '-',
      `${result.seconds.toFixed(1)}s`,
      ...(published.length ? [publishCell] : []),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const problems = [
    ...results.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`),
    ...published.filter((p) => p.message).map((p) => `${p.name} -> ${p.registry}: ${p.message}`),
  ];
  return [...lines, ...problems.map((line) => `  ${line}`)].join('\n') + '\n';
}
