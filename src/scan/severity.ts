// A finding's severity, the way trivy ranks one: the distribution's own rating when it gave one (it knows how
// the package is built and used there), else the highest CVSS score among the advisories, else UNKNOWN.
import cvss from 'ae-cvss-calculator';
import { SEVERITIES, type Severity } from '../plan/scan-policy.js';

export { SEVERITIES, type Severity } from '../plan/scan-policy.js';

/** SeverityRating is a severity and where it came from, e.g. `CVSS_V3 9.8` or `Debian urgency: low`. */
export interface SeverityRating {
  severity: Severity;
  /** score is the CVSS base score, when the rating is one. */
  score?: number;
  source: string;
}

/** rank orders severities (higher is worse). */
export function rank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * cvssSeverity is CVSS's qualitative rating of a score; v2 has no CRITICAL (7.0 to 10 is HIGH). CVSS calls 0.0
 * "None", which trivy's five levels lack: it counts as LOW, the level a gate is least likely to list.
 */
export function cvssSeverity(score: number, version: 2 | 3 | 4): Severity {
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9 || version === 2) return 'HIGH';
  return 'CRITICAL';
}

const CALCULATORS: Record<string, { version: 2 | 3 | 4; score(vector: string): number | undefined }> = {
  CVSS_V2: { version: 2, score: (vector) => new cvss.Cvss2(vector).calculateScores().base },
  CVSS_V3: {
    version: 3,
    score: (vector) => (vector.startsWith('CVSS:3.0/') ? new cvss.Cvss3P0(vector) : new cvss.Cvss3P1(vector)).calculateScores().base,
  },
  CVSS_V4: { version: 4, score: (vector) => new cvss.Cvss4P0(vector).calculateScores().base },
};

/** scoreVector scores one OSV `severity` entry; undefined for a type kiln does not score or a vector it cannot read. */
export function scoreVector(type: string, vector: string): SeverityRating | undefined {
  const calculator = CALCULATORS[type];
  if (!calculator) return undefined;
  let score: number | undefined;
  try {
    score = calculator.score(vector);
  } catch {
    return undefined;
  }
  // An incomplete vector scores as undefined or NaN: no rating is better than a made-up one.
  if (score === undefined || !Number.isFinite(score)) return undefined;
  return { severity: cvssSeverity(score, calculator.version), score, source: `${type} ${score.toFixed(1)}` };
}

// Debian's security tracker rates by urgency; "not yet assigned" is no rating at all.
const DEBIAN_URGENCY: Record<string, Severity> = { unimportant: 'LOW', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
// Ubuntu's priorities, as its OSV records carry them in a `severity` entry of type `Ubuntu`.
const UBUNTU_PRIORITY: Record<string, Severity> = { negligible: 'LOW', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };
// GitHub's advisory database ratings (`database_specific.severity` in GHSA records).
const GHSA_SEVERITY: Record<string, Severity> = { LOW: 'LOW', MODERATE: 'MEDIUM', MEDIUM: 'MEDIUM', HIGH: 'HIGH', CRITICAL: 'CRITICAL' };

/** AdvisoryRatings is what one finding's advisories say about severity. */
export interface AdvisoryRatings {
  /** severity are the OSV `severity` entries of the records and affected entries. */
  severity: readonly { type: string; score: string }[];
  /** vendor are the ecosystems' own fields: Debian `urgency`, GHSA `database_specific.severity`. */
  vendor: readonly { kind: 'debian-urgency' | 'ghsa'; value: string }[];
}

function worst(ratings: SeverityRating[]): SeverityRating | undefined {
  return ratings.reduce<SeverityRating | undefined>((best, rating) => (!best || rank(rating.severity) > rank(best.severity) ? rating : best), undefined);
}

/** rateFinding picks a finding's severity: the distribution's or database's own rating, then CVSS, then UNKNOWN. */
export function rateFinding(ratings: AdvisoryRatings): SeverityRating {
  const vendor: SeverityRating[] = [];
  for (const { kind, value } of ratings.vendor) {
    const severity = kind === 'debian-urgency' ? DEBIAN_URGENCY[value.toLowerCase()] : GHSA_SEVERITY[value.toUpperCase()];
    if (severity) vendor.push({ severity, source: kind === 'debian-urgency' ? `Debian urgency ${value}` : `GHSA ${value}` });
  }
  for (const { type, score } of ratings.severity) {
    const severity = type === 'Ubuntu' ? UBUNTU_PRIORITY[score.toLowerCase()] : undefined;
    if (severity) vendor.push({ severity, source: `Ubuntu priority ${score}` });
  }
  const own = worst(vendor);
  if (own) return own;
  const scored = ratings.severity.map(({ type, score }) => scoreVector(type, score)).filter((rating): rating is SeverityRating => rating !== undefined);
  const best = scored.reduce<SeverityRating | undefined>((top, rating) => (!top || rating.score! > top.score! ? rating : top), undefined);
  return best ?? { severity: 'UNKNOWN', source: 'no rating' };
}
