// The image's CycloneDX BOM with a `vulnerabilities` array (CycloneDX's VEX-in-BOM form): each finding names the
// components it affects by bom-ref, carries its rating, and the fix as a recommendation.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import type { Severity } from '../severity.js';
import type { RatedFinding, ScanResult } from '../scan.js';
import { advisoryUrl } from './sarif.js';

const SEVERITY: Record<Severity, Enums.Vulnerability.Severity> = {
  CRITICAL: Enums.Vulnerability.Severity.Critical,
  HIGH: Enums.Vulnerability.Severity.High,
  MEDIUM: Enums.Vulnerability.Severity.Medium,
  LOW: Enums.Vulnerability.Severity.Low,
  UNKNOWN: Enums.Vulnerability.Severity.Unknown,
};

function method(source: string): Enums.Vulnerability.RatingMethod | undefined {
  if (source.startsWith('CVSS_V2')) return Enums.Vulnerability.RatingMethod.CVSSv2;
  if (source.startsWith('CVSS_V3')) return Enums.Vulnerability.RatingMethod.CVSSv31;
  if (source.startsWith('CVSS_V4')) return Enums.Vulnerability.RatingMethod.CVSSv4;
  return Enums.Vulnerability.RatingMethod.Other;
}

function componentOf(bom: Models.Bom, finding: RatedFinding): Models.Component | undefined {
  const wanted = finding.package.ecosystem === 'PyPI' ? finding.package.name.toLowerCase().replace(/[-_.]+/g, '-') : finding.package.name;
  for (const component of bom.components) {
    if (component.name === wanted && component.version === finding.package.version) return component;
  }
  return undefined;
}

/** addVulnerabilities adds a scan's remaining findings to `bom`, linked to its components. */
export function addVulnerabilities(bom: Models.Bom, result: ScanResult): Models.Bom {
  for (const finding of result.findings) {
    const vulnerability = new Models.Vulnerability.Vulnerability({
      bomRef: `${finding.id}/${finding.package.name}@${finding.package.version}`,
      id: finding.id,
      source: new Models.Vulnerability.Source({ name: 'OSV', url: advisoryUrl(finding.id) }),
      ...(finding.summary ? { description: finding.summary } : {}),
      ...(finding.fixed ? { recommendation: `Upgrade ${finding.package.name} to ${finding.fixed} or later.` } : {}),
    });
    vulnerability.ratings.add(new Models.Vulnerability.Rating({
      severity: SEVERITY[finding.rating.severity],
      ...(finding.rating.score === undefined ? {} : { score: finding.rating.score }),
      method: method(finding.rating.source),
      justification: finding.rating.source,
    }));
    for (const alias of finding.ids.filter((id) => id !== finding.id)) {
      vulnerability.references.add(new Models.Vulnerability.Reference(alias, new Models.Vulnerability.Source({ name: 'OSV', url: advisoryUrl(alias) })));
    }
    const component = componentOf(bom, finding);
    if (component) {
      vulnerability.affects.add(new Models.Vulnerability.Affect(component.bomRef, {
        versions: new Models.Vulnerability.AffectedVersionRepository([
          new Models.Vulnerability.AffectedSingleVersion(finding.package.version, { status: Enums.Vulnerability.AffectStatus.Affected }),
        ]),
      }));
    }
    bom.vulnerabilities.add(vulnerability);
  }
  return bom;
}
