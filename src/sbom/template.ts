// SBOM templates: an entry's CycloneDX BOM rendered once with stand-ins for the digests a code edit changes (the app
// folder's, the project's and path dependencies' sources and the hashes of the wheels built from them), then filled
// in for each build. A code change then writes
// its SBOM by replacing strings, without loading the CycloneDX library (and the validators it pulls in). The bytes
// are those cycloneDxFromPlan writes: the stand-ins are only property values, which no list is sorted by, and the
// serial number is the hash of the filled document without it, as serializeBom computes it.
import { createHash } from 'node:crypto';
import type { ImagePlan, PinnedPythonPackage, Pins } from '../plan/types.js';

/** SbomTemplate is a BOM rendered with stand-ins: without a serial number (to hash) and with the serial's stand-in. */
export interface SbomTemplate {
  withoutSerial: string;
  withSerial: string;
}

/** SERIAL_STAND_IN is the serial number a template is rendered with; it is replaced by the filled document's own. */
export const SERIAL_STAND_IN = 'urn:uuid:00000000-0000-5000-8000-00000000cafe';

const standIn = (i: number): string => `kiln-stand-in:${String(i).padStart(6, '0')}:`;
// A wheel hash stands in as 64 hex digits: the CycloneDX library drops a hash whose content is not hex. No sha256 a
// build meets is this run of f's.
const hexStandIn = (i: number): string => `5ba0${'f'.repeat(52)}${i.toString(16).padStart(8, '0')}`;

/**
 * templateEntry returns `entry` with each local digest replaced by a stand-in, and the digests in stand-in order: two
 * entries that differ only in those digests give the same template.
 */
export function templateEntry(entry: ImagePlan): { entry: ImagePlan; digests: string[] } {
  const pins = entry.pinned;
  if (!pins) return { entry, digests: [] };
  const digests: string[] = [];
  const stand = (digest: string): string => standIn(digests.push(digest) - 1);
  // A package built from local sources has a new wheel after every edit of them: a new hash (a stand-in) and size
  // (which the BOM does not show, so left out of what keys the template).
  const templatedLocal = ({ size: _size, ...pkg }: PinnedPythonPackage): PinnedPythonPackage => ({
    ...pkg,
    source: { ...pkg.source!, digest: stand(pkg.source!.digest) },
    ...(pkg.sha256 ? { sha256: hexStandIn(digests.push(pkg.sha256) - 1) } : {}),
  });
  const templated: Pins = {
    ...pins,
    ...(pins.app ? { app: { ...pins.app, digest: stand(pins.app.digest) } } : {}),
    ...(pins.python ? { python: { ...pins.python, packages: pins.python.packages.map((pkg) => (pkg.source ? templatedLocal(pkg) : pkg)) } } : {}),
  };
  return { entry: { ...entry, pinned: templated }, digests };
}

/** fillTemplate puts the digests back in place of their stand-ins and sets the serial number the content names. */
export function fillTemplate(template: SbomTemplate, digests: string[]): string {
  const fill = (text: string): string => digests.reduce((out, digest, i) => out.replaceAll(standIn(i), digest).replaceAll(hexStandIn(i), digest), text);
  return fill(template.withSerial).replace(SERIAL_STAND_IN, uuidUrn(createHash('sha256').update(fill(template.withoutSerial)).digest()));
}

/** uuidUrn is a name-based UUID (version 5 layout, RFC 4122 variant) from a hash: CycloneDX's schema accepts only versions 1-5. */
export function uuidUrn(hash: Buffer): string {
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
