// The scan gate's settings, apart from the plan types so the manifest schema can name the severities without a cycle.

/** SEVERITIES are the severity levels a scan reports, most severe first (trivy's names). */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

/** Severity is one of SEVERITIES. */
export type Severity = (typeof SEVERITIES)[number];

/** ScanPolicy is what fails an entry's scan gate: a finding of a listed severity that no ignore entry covers. */
export interface ScanPolicy {
  severity: Severity[];
  /** ignoreUnfixed skips findings with no fixed version, like trivy's --ignore-unfixed. */
  ignoreUnfixed: boolean;
  /** ignorefile is the absolute path of the ignore file (YAML: id, package, reason, expires). */
  ignorefile?: string;
}

/** DEFAULT_SCAN_POLICY is what `scan: true` means. */
export const DEFAULT_SCAN_POLICY: ScanPolicy = { severity: ['CRITICAL', 'HIGH'], ignoreUnfixed: false };
