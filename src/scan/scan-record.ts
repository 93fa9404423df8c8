// Scan records: the last `kiln scan` of each entry of a manifest, kept in the cache as a small summary (when, against
// which database, with which filters, what it found), so `kiln report` can show findings without scanning again.
import { createHash } from 'node:crypto';
import type { BlobStore } from '../cache/blob-store.js';
import type { ScanResult } from './scan.js';
import type { Severity } from './severity.js';

/** ScanKey names an entry of one manifest: the absolute kiln.yaml path and the plan entry name. */
export interface ScanKey {
  manifestFile: string;
  name: string;
}

/** RecordedFinding is one finding as a report shows it. */
export interface RecordedFinding {
  id: string;
  package: string;
  ecosystem: string;
  installed: string;
  /** fixed is the version that fixes it; absent when no fix is known. */
  fixed?: string;
  severity: Severity;
  summary?: string;
}

/** ScanRecord is what is remembered of an entry's last scan. */
export interface ScanRecord {
  /** time is when the scan ran (ISO 8601, UTC). */
  time: string;
  database: string;
  /** filters are the scan's --severity and --ignore-unfixed; findings are what remained after them. */
  filters: { severities?: Severity[]; ignoreUnfixed: boolean };
  packages: number;
  findings: RecordedFinding[];
  ignored: number;
  filtered: number;
}

const MEMO_KIND = 'scans';

function memoKey(key: ScanKey): string {
  return createHash('sha256').update(`${key.manifestFile}\0${key.name}`).digest('hex');
}

/** scanRecord summarizes one result for the cache. */
export function scanRecord(result: ScanResult, context: { time: string; database: string; severities?: readonly Severity[]; ignoreUnfixed: boolean }): ScanRecord {
  return {
    time: context.time,
    database: context.database,
    filters: { ...(context.severities ? { severities: [...context.severities] } : {}), ignoreUnfixed: context.ignoreUnfixed },
    packages: result.packages.length,
    findings: result.findings.map((finding) => ({
      id: finding.id,
      package: finding.package.name,
      ecosystem: finding.package.ecosystem,
      installed: finding.package.version,
      ...(finding.fixed ? { fixed: finding.fixed } : {}),
      severity: finding.rating.severity,
      ...(finding.summary ? { summary: finding.summary } : {}),
    })),
    ignored: result.ignored.length,
    filtered: result.filtered,
  };
}

/**
 * mergeRecords makes one record of a multi-platform entry's per-platform scans: packages, ignored and filtered add
 * up; a finding in several platforms (same id, package and version) is listed once.
 */
export function mergeRecords(records: readonly ScanRecord[]): ScanRecord {
  const [first] = records;
  if (!first) throw new Error('mergeRecords: no records');
  const findings = new Map<string, RecordedFinding>();
  for (const record of records) for (const finding of record.findings) findings.set(`${finding.id}\0${finding.package}\0${finding.installed}`, findings.get(`${finding.id}\0${finding.package}\0${finding.installed}`) ?? finding);
  const sum = (pick: (record: ScanRecord) => number): number => records.reduce((total, record) => total + pick(record), 0);
  return { ...first, packages: sum((r) => r.packages), findings: [...findings.values()], ignored: sum((r) => r.ignored), filtered: sum((r) => r.filtered) };
}

/** recordScan remembers `record` as the last scan of `key`. */
export async function recordScan(store: BlobStore, key: ScanKey, record: ScanRecord): Promise<void> {
  await store.setMemo(MEMO_KIND, memoKey(key), { ...key, record });
}

/** findScan returns the last scan recorded for `key`, or undefined when it was never scanned. */
export async function findScan(store: BlobStore, key: ScanKey): Promise<ScanRecord | undefined> {
  const memo = await store.getMemo<ScanKey & { record: ScanRecord }>(MEMO_KIND, memoKey(key));
  return memo && memo.manifestFile === key.manifestFile && memo.name === key.name ? memo.record : undefined;
}
