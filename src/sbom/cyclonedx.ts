// CycloneDX SBOM from a pinned plan entry: kiln knows every .deb and wheel it installs, with their hashes, so the
// BOM lists exactly those instead of guessing from files. Same plan in, same bytes out.
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { InputError } from '../errors.js';
import type { ImagePlan, PinnedBase, PinnedDebPackage, PinnedPythonPackage } from '../plan/types.js';
import { parseReference } from '../registry/reference.js';
import { OS_RELEASES, osReleaseByCodename } from '../debian/os-releases.js';

/** CYCLONEDX_MEDIA_TYPE is the media type of the JSON documents cycloneDxFromPlan writes. */
export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/** CycloneDxOptions are the choices that are not in the plan entry. */
export interface CycloneDxOptions {
  /** epoch is SOURCE_DATE_EPOCH in seconds: the BOM's timestamp, so a reproducible image has a reproducible SBOM. */
  epoch: number;
}

interface Distro { namespace: string; version: string }

// purl's `distro` qualifier wants the release number; kiln.lock records the codename.
function distroOf(codename: string): Distro | undefined {
  const release = osReleaseByCodename(codename);
  return release ? { namespace: release.id, version: release.versionId } : undefined;
}

const PROPERTY = {
  debSource: 'kiln:deb:source',
  debFilename: 'kiln:deb:filename',
  pythonKind: 'kiln:python:kind',
  pythonFilename: 'kiln:python:filename',
  pythonLayer: 'kiln:python:layer',
  sourceDigest: 'kiln:source:digest',
  appDigest: 'kiln:app:digest',
  baseKind: 'kiln:base:kind',
} as const;

/** pypiName is a distribution name normalised as PEP 503 and the pypi purl type ask. */
export function pypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** cycloneDxFromPlan writes a CycloneDX 1.6 JSON BOM of a pinned entry: its distro packages, Python packages and base. */
export function cycloneDxFromPlan(entry: ImagePlan, options: CycloneDxOptions): string {
  return serializeBom(cycloneDxBom(entry, options));
}

/** cycloneDxBom is the BOM model of a pinned entry, for writers that add to it (a scan adds its vulnerabilities). */
export function cycloneDxBom(entry: ImagePlan, options: CycloneDxOptions): Models.Bom {
  const pins = entry.pinned;
  if (!pins) throw new InputError(`entry "${entry.name}" pins nothing: an SBOM needs a resolved plan (kiln plan --json)`);
  if (!Number.isInteger(options.epoch) || options.epoch < 0) {
    throw new InputError(`entry "${entry.name}": SBOM timestamp epoch ${options.epoch} is not a non-negative whole number of seconds`);
  }

  const bom = new Models.Bom();
  const image = new Models.Component(Enums.ComponentType.Container, entry.name, { bomRef: `kiln:image:${entry.name}` });
  if (pins.app) image.properties.add(new Models.Property(PROPERTY.appDigest, pins.app.digest));
  bom.metadata.component = image;
  bom.metadata.timestamp = new Date(options.epoch * 1000);

  const components = [...baseComponents(entry.name, pins.base), ...(pins.python?.packages ?? []).map(pythonComponent)];
  for (const component of components) {
    bom.components.add(component);
    image.dependencies.add(component.bomRef);
  }

  return bom;
}

/**
 * serializeBom renders a BOM as CycloneDX 1.6 JSON, lists sorted. The serial number names the content: it is a
 * hash of the document without it, so the same BOM gives the same bytes.
 */
export function serializeBom(bom: Models.Bom): string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const render = (): string => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
  bom.serialNumber = undefined;
  bom.serialNumber = uuidUrn(createHash('sha256').update(render()).digest());
  return render();
}

function baseComponents(entryName: string, base: PinnedBase): Models.Component[] {
  switch (base.kind) {
    case 'scratch':
      return [];
    case 'distro': {
      const distro = distroOf(base.codename);
      if (!distro) {
        throw new InputError(`entry "${entryName}": no purl distro is known for release "${base.codename}" (known: ${Object.values(OS_RELEASES).map((release) => release.codename).join(', ')})`);
      }
      const os = new Models.Component(Enums.ComponentType.OperatingSystem, distro.namespace, {
        version: distro.version,
        bomRef: `kiln:os:${distro.namespace}-${distro.version}`,
      });
      os.properties.add(new Models.Property(PROPERTY.baseKind, 'distro'));
      return [os, ...base.packages.map((pkg) => debComponent(pkg, distro))];
    }
    case 'registry': {
      const ref = parseReference(base.reference.replace(/^docker:\/\//, ''));
      const name = ref.repository.split('/').pop()!;
      const purl = new PackageURL('oci', undefined, name, base.digest, {
        repository_url: `${ref.registry}/${ref.repository}`,
        ...(ref.tag ? { tag: ref.tag } : {}),
      }).toString();
      const component = new Models.Component(Enums.ComponentType.Container, `${ref.registry}/${ref.repository}`, {
        version: base.digest,
        purl,
        bomRef: purl,
      });
      addDigest(component, base.digest);
      component.properties.add(new Models.Property(PROPERTY.baseKind, 'registry'));
      return [component];
    }
    case 'place': {
      // A local layout or archive has no registry coordinates, so no purl: the manifest digest identifies it.
      const component = new Models.Component(Enums.ComponentType.Container, base.place, {
        version: base.digest,
        bomRef: `kiln:base:${base.digest}`,
      });
      addDigest(component, base.digest);
      component.properties.add(new Models.Property(PROPERTY.baseKind, 'place'));
      return [component];
    }
  }
}

function debComponent(pkg: PinnedDebPackage, distro: Distro): Models.Component {
  const purl = new PackageURL('deb', distro.namespace, pkg.name, pkg.version, {
    arch: pkg.architecture,
    distro: `${distro.namespace}-${distro.version}`,
  }).toString();
  const component = new Models.Component(Enums.ComponentType.Library, pkg.name, { version: pkg.version, purl, bomRef: purl });
  component.hashes.set(Enums.HashAlgorithm['SHA-256'], pkg.sha256);
  // Advisories are keyed by source package, so scanners need it even when it equals the binary's name.
  component.properties.add(new Models.Property(PROPERTY.debSource, pkg.source ?? pkg.name));
  component.properties.add(new Models.Property(PROPERTY.debFilename, pkg.filename));
  return component;
}

function pythonComponent(pkg: PinnedPythonPackage): Models.Component {
  const purl = new PackageURL('pypi', undefined, pypiName(pkg.name), pkg.version, pkg.kind === 'url' && pkg.url ? { download_url: pkg.url } : undefined).toString();
  const component = new Models.Component(Enums.ComponentType.Library, pypiName(pkg.name), { version: pkg.version, purl, bomRef: purl });
  if (pkg.sha256) component.hashes.set(Enums.HashAlgorithm['SHA-256'], pkg.sha256);
  component.properties.add(new Models.Property(PROPERTY.pythonKind, pkg.kind));
  component.properties.add(new Models.Property(PROPERTY.pythonFilename, pkg.filename));
  component.properties.add(new Models.Property(PROPERTY.pythonLayer, pkg.layer));
  if (pkg.source) component.properties.add(new Models.Property(PROPERTY.sourceDigest, pkg.source.digest));
  return component;
}

function addDigest(component: Models.Component, digest: string): void {
  const [algorithm, hex] = digest.split(':');
  if (algorithm === 'sha256') component.hashes.set(Enums.HashAlgorithm['SHA-256'], hex!);
  else if (algorithm === 'sha512') component.hashes.set(Enums.HashAlgorithm['SHA-512'], hex!);
}

// A name-based UUID (version 5 layout, RFC 4122 variant) from a hash: CycloneDX's schema accepts only versions 1-5.
function uuidUrn(hash: Buffer): string {
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
