// CycloneDX SBOM of an Inventory: from a pinned plan kiln knows every .deb and wheel it installs, with their hashes, so the
// BOM lists exactly those instead of guessing from files. Same plan in, same bytes out.
import { createHash } from 'node:crypto';
// Subpaths, not the package index: the index also loads the validators (ajv) and contrib, ~50 ms a cold build does not need.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { PackageURL } from 'packageurl-js';
import { InputError } from '../errors.js';
import type { ImagePlan } from '../plan/types.js';
import { inventoryFromPlan, type Inventory, type InventoryDeb, type InventoryOs, type InventoryPython } from './inventory.js';
import { parseReference } from '../registry/reference.js';
import { OS_RELEASES, osReleaseByCodename } from '../debian/os-releases.js';
import { SERIAL_STAND_IN, uuidUrn, type SbomTemplate } from './template.js';

/** CYCLONEDX_MEDIA_TYPE is the media type of the JSON documents cycloneDxFromPlan writes. */
export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/** CycloneDxOptions are the choices that are not in the plan entry. */
export interface CycloneDxOptions {
  /** epoch is SOURCE_DATE_EPOCH in seconds: the BOM's timestamp, so a reproducible image has a reproducible SBOM. */
  epoch: number;
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

/** debPurl is a Debian package's purl: `pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12`. */
export function debPurl(deb: Pick<InventoryDeb, 'name' | 'version' | 'architecture'>, os: InventoryOs): string {
  return new PackageURL('deb', os.id, deb.name, deb.version, { arch: deb.architecture, distro: `${os.id}-${os.versionId}` }).toString();
}

/** pypiPurl is a Python distribution's purl: `pkg:pypi/NAME@VERSION` (with the download URL for a URL pin). */
export function pypiPurl(pkg: Pick<InventoryPython, 'name' | 'version' | 'url'>): string {
  return new PackageURL('pypi', undefined, pypiName(pkg.name), pkg.version, pkg.url ? { download_url: pkg.url } : undefined).toString();
}

/** ociPurl is a registry base's purl: `pkg:oci/NAME@DIGEST?repository_url=REGISTRY/REPOSITORY&tag=TAG`. */
export function ociPurl(base: { reference: string; digest: string }): string {
  const ref = parseReference(base.reference.replace(/^docker:\/\//, ''));
  const name = ref.repository.split('/').pop()!;
  return new PackageURL('oci', undefined, name, base.digest, {
    repository_url: `${ref.registry}/${ref.repository}`,
    ...(ref.tag ? { tag: ref.tag } : {}),
  }).toString();
}

/** registryBaseName is a registry base's name without tag or digest: `REGISTRY/REPOSITORY`. */
export function registryBaseName(base: { reference: string }): string {
  const ref = parseReference(base.reference.replace(/^docker:\/\//, ''));
  return `${ref.registry}/${ref.repository}`;
}

/** cycloneDxFromPlan writes a CycloneDX 1.6 JSON BOM of a pinned entry: its distro packages, Python packages and base. */
export function cycloneDxFromPlan(entry: ImagePlan, options: CycloneDxOptions): string {
  checkRelease(entry);
  return cycloneDxFromInventory(inventoryFromPlan(entry), options);
}

function checkRelease(entry: ImagePlan): void {
  if (entry.pinned?.base.kind === 'distro' && !osReleaseByCodename(entry.pinned.base.codename)) {
    throw new InputError(`entry "${entry.name}": no purl distro is known for release "${entry.pinned.base.codename}" (known: ${Object.values(OS_RELEASES).map((release) => release.codename).join(', ')})`);
  }
}

/** cycloneDxTemplate renders an entry's BOM as a template (see sbom/template.ts): the entry's digests are stand-ins. */
export function cycloneDxTemplate(entry: ImagePlan, options: CycloneDxOptions): SbomTemplate {
  checkRelease(entry);
  const bom = cycloneDxBom(inventoryFromPlan(entry), options);
  const render = renderer(bom);
  bom.serialNumber = undefined;
  const withoutSerial = render();
  bom.serialNumber = SERIAL_STAND_IN;
  return { withoutSerial, withSerial: render() };
}

/** cycloneDxFromInventory writes a CycloneDX 1.6 JSON BOM of what an image holds. Same inventory in, same bytes out. */
export function cycloneDxFromInventory(inventory: Inventory, options: CycloneDxOptions): string {
  return serializeBom(cycloneDxBom(inventory, options));
}

/** cycloneDxBom is the BOM model of an inventory, for writers that add to it (a scan adds its vulnerabilities). */
export function cycloneDxBom(inventory: Inventory, options: CycloneDxOptions): Models.Bom {
  if (!Number.isInteger(options.epoch) || options.epoch < 0) {
    throw new InputError(`${inventory.name}: SBOM timestamp epoch ${options.epoch} is not a non-negative whole number of seconds`);
  }
  const bom = new Models.Bom();
  const image = new Models.Component(Enums.ComponentType.Container, inventory.name, { bomRef: `kiln:image:${inventory.name}` });
  if (inventory.imageDigest) {
    image.version = inventory.imageDigest;
    addDigest(image, inventory.imageDigest);
  }
  if (inventory.appDigest) image.properties.add(new Models.Property(PROPERTY.appDigest, inventory.appDigest));
  bom.metadata.component = image;
  bom.metadata.timestamp = new Date(options.epoch * 1000);

  const components = [...baseComponents(inventory), ...inventory.python.map(pythonComponent)];
  for (const component of components) {
    bom.components.add(component);
    image.dependencies.add(component.bomRef);
  }
  return bom;
}

/** serializeBom renders a BOM as CycloneDX 1.6 JSON with its lists sorted. */
export function serializeBom(bom: Models.Bom): string {
  const render = renderer(bom);
  // The serial number names this content: hash the document without it, so the same BOM gives the same number.
  bom.serialNumber = undefined;
  bom.serialNumber = uuidUrn(createHash('sha256').update(render()).digest());
  return render();
}

// renderer renders `bom` as it stands when called: CycloneDX 1.6 JSON, lists sorted.
function renderer(bom: Models.Bom): () => string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return () => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

function baseComponents(inventory: Inventory): Models.Component[] {
  const components: Models.Component[] = [];
  if (inventory.os) {
    const { id, versionId } = inventory.os;
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, id, { version: versionId, bomRef: `kiln:os:${id}-${versionId}` });
    os.properties.add(new Models.Property(PROPERTY.baseKind, 'distro'));
    components.push(os, ...inventory.debs.map((deb) => debComponent(deb, inventory.os!)));
  } else if (inventory.debs.length > 0) {
    throw new InputError(`${inventory.name}: Debian packages without a release (no /etc/os-release) cannot be named by purl`);
  }
  const base = inventory.base;
  if (base?.kind === 'registry') {
    const purl = ociPurl(base);
    const component = new Models.Component(Enums.ComponentType.Container, registryBaseName(base), { version: base.digest, purl, bomRef: purl });
    addDigest(component, base.digest);
    component.properties.add(new Models.Property(PROPERTY.baseKind, 'registry'));
    components.push(component);
  } else if (base?.kind === 'place') {
    // A local layout or archive has no registry coordinates, so no purl: the manifest digest identifies it.
    const component = new Models.Component(Enums.ComponentType.Container, base.place, { version: base.digest, bomRef: `kiln:base:${base.digest}` });
    addDigest(component, base.digest);
    component.properties.add(new Models.Property(PROPERTY.baseKind, 'place'));
    components.push(component);
  }
  return components;
}

function debComponent(deb: InventoryDeb, os: InventoryOs): Models.Component {
  const purl = debPurl(deb, os);
  const component = new Models.Component(Enums.ComponentType.Library, deb.name, { version: deb.version, purl, bomRef: purl });
  if (deb.sha256) component.hashes.set(Enums.HashAlgorithm['SHA-256'], deb.sha256);
  // Advisories are keyed by source package, so scanners need it even when it equals the binary's name.
  component.properties.add(new Models.Property(PROPERTY.debSource, deb.source));
  if (deb.filename) component.properties.add(new Models.Property(PROPERTY.debFilename, deb.filename));
  return component;
}

function pythonComponent(pkg: InventoryPython): Models.Component {
  const purl = pypiPurl(pkg);
  const component = new Models.Component(Enums.ComponentType.Library, pypiName(pkg.name), { version: pkg.version, purl, bomRef: purl });
  if (pkg.sha256) component.hashes.set(Enums.HashAlgorithm['SHA-256'], pkg.sha256);
  if (pkg.kind) component.properties.add(new Models.Property(PROPERTY.pythonKind, pkg.kind));
  if (pkg.filename) component.properties.add(new Models.Property(PROPERTY.pythonFilename, pkg.filename));
  if (pkg.layer) component.properties.add(new Models.Property(PROPERTY.pythonLayer, pkg.layer));
  if (pkg.sourceDigest) component.properties.add(new Models.Property(PROPERTY.sourceDigest, pkg.sourceDigest));
  return component;
}

function addDigest(component: Models.Component, digest: string): void {
  const [algorithm, hex] = digest.split(':');
  if (algorithm === 'sha256') component.hashes.set(Enums.HashAlgorithm['SHA-256'], hex!);
  else if (algorithm === 'sha512') component.hashes.set(Enums.HashAlgorithm['SHA-512'], hex!);
}
