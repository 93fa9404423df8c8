// SPDX 2.3 JSON SBOM of an Inventory: the same packages, hashes and purls as the CycloneDX BOM, for consumers that read
// SPDX. Same inventory in, same bytes out, so a reproducible image has a reproducible SBOM.
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { ImagePlan } from '../plan/types.js';
import { debPurl, ociPurl, pypiName, pypiPurl, registryBaseName } from './cyclonedx.js';
import { inventoryFromPlan, type Inventory, type InventoryBase, type InventoryDeb, type InventoryOs, type InventoryPython } from './inventory.js';

/** SPDX_MEDIA_TYPE is the media type of the JSON documents spdxFromPlan writes. */
export const SPDX_MEDIA_TYPE = 'application/spdx+json';

/** SpdxOptions are the choices that are not in the inventory. */
export interface SpdxOptions {
  /** epoch is SOURCE_DATE_EPOCH in seconds: the document's creation time. */
  epoch: number;
  /** toolVersion is kiln's version, named in creationInfo.creators as `Tool: kiln-<version>`. */
  toolVersion: string;
}

/**
 * NAMESPACE_BASE prefixes every documentNamespace. The namespace only has to be a unique URI, not a fetchable one, and
 * kiln hosts no documents: `.invalid` (RFC 2606) can never resolve, so nobody mistakes it for a download address.
 */
export const NAMESPACE_BASE = 'https://kiln.invalid/spdx/';

/** SpdxDocument is the part of the SPDX 2.3 JSON model kiln writes. */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

/** SpdxPackage is one package of an SPDX 2.3 document, with the fields kiln fills. */
export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  packageFileName?: string;
  supplier?: 'NOASSERTION';
  downloadLocation: string;
  filesAnalyzed: false;
  checksums?: Array<{ algorithm: 'SHA256' | 'SHA512'; checksumValue: string }>;
  sourceInfo?: string;
  externalRefs?: Array<{ referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }>;
  primaryPackagePurpose?: 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY' | 'APPLICATION';
  annotations?: SpdxAnnotation[];
}

/** SpdxAnnotation carries a kiln fact SPDX has no field for, as `kiln:<name>=<value>` (CycloneDX's property names). */
export interface SpdxAnnotation {
  annotationDate: string;
  annotationType: 'OTHER';
  annotator: string;
  comment: string;
}

/** SpdxRelationship links two elements of the document. */
export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS';
  relatedSpdxElement: string;
}

const NOASSERTION = 'NOASSERTION';
const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const IMAGE_ID = 'SPDXRef-Image';

/** spdxFromPlan writes an SPDX 2.3 JSON document of a pinned entry: its distro packages, Python packages and base. */
export function spdxFromPlan(entry: ImagePlan, options: SpdxOptions): string {
  return spdxFromInventory(inventoryFromPlan(entry), options);
}

/** spdxFromInventory writes an SPDX 2.3 JSON document of what an image holds. Same inventory in, same bytes out. */
export function spdxFromInventory(inventory: Inventory, options: SpdxOptions): string {
  if (!Number.isInteger(options.epoch) || options.epoch < 0) {
    throw new InputError(`${inventory.name}: SBOM timestamp epoch ${options.epoch} is not a non-negative whole number of seconds`);
  }
  if (inventory.debs.length > 0 && !inventory.os) {
    throw new InputError(`${inventory.name}: Debian packages without a release (no /etc/os-release) cannot be named by purl`);
  }
  // SPDX wants seconds precision: "YYYY-MM-DDThh:mm:ssZ".
  const created = new Date(options.epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const tool = `Tool: kiln-${options.toolVersion}`;
  const annotate = (name: string, value: string): SpdxAnnotation => ({ annotationDate: created, annotationType: 'OTHER', annotator: tool, comment: `kiln:${name}=${value}` });

  const image: SpdxPackage = {
    SPDXID: IMAGE_ID,
    name: inventory.name,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    ...(inventory.appDigest ? { annotations: [annotate('app:digest', inventory.appDigest)] } : {}),
  };
  const ids = new SpdxIds([DOCUMENT_ID, IMAGE_ID]);
  const contents = [
    ...(inventory.os ? [osPackage(inventory.os)] : []),
    ...(inventory.base ? [basePackage(inventory.base, annotate)] : []),
    ...inventory.debs.map((deb) => debPackage(deb, inventory.os!)),
    ...inventory.python.map((pkg) => pythonPackage(pkg, annotate)),
  ];
  // IDs are handed out in the order of a key that names each package exactly, so which of two packages whose names
  // sanitise alike gets the `-2` suffix does not depend on the order the inventory lists them in.
  contents.sort((a, b) => compare(a.key, b.key));
  const packages = [image, ...contents.map(({ idHint, build }) => build(ids.take(idHint)))];
  packages.sort((a, b) => compare(a.SPDXID, b.SPDXID));

  const relationships: SpdxRelationship[] = [
    { spdxElementId: DOCUMENT_ID, relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID },
    // Every package is in the image's filesystem (a base's layers are the image's lower layers), so the image CONTAINS
    // each one; the plan records no package-to-package dependencies to express as DEPENDS_ON.
    ...packages.filter((pkg) => pkg.SPDXID !== IMAGE_ID).map((pkg): SpdxRelationship => ({ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: pkg.SPDXID })),
  ];
  relationships.sort((a, b) => compare(a.spdxElementId, b.spdxElementId) || compare(a.relationshipType, b.relationshipType) || compare(a.relatedSpdxElement, b.relatedSpdxElement));

  const document: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: DOCUMENT_ID,
    name: inventory.name,
    documentNamespace: '',
    creationInfo: { created, creators: [tool] },
    packages,
    relationships,
  };
  // The namespace names this content: hash the document without it, so the same inventory, epoch and kiln version give
  // the same namespace and any other content another one, as SPDX asks of a namespace.
  const contentHash = createHash('sha256').update(render(document)).digest('hex');
  document.documentNamespace = `${NAMESPACE_BASE}${sanitise(inventory.name)}-${contentHash}`;
  return render(document);
}

function render(document: SpdxDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A package waiting for its SPDXID: `key` orders it, `idHint` is the readable part of its ID. */
interface PendingPackage {
  key: string;
  idHint: string;
  build(id: string): SpdxPackage;
}

type Annotate = (name: string, value: string) => SpdxAnnotation;

function osPackage(os: InventoryOs): PendingPackage {
  return {
    key: `os:${os.id}:${os.versionId}`,
    idHint: `OperatingSystem-${os.id}-${os.versionId}`,
    build: (id) => ({ SPDXID: id, name: os.id, versionInfo: os.versionId, downloadLocation: NOASSERTION, filesAnalyzed: false, primaryPackagePurpose: 'OPERATING_SYSTEM' }),
  };
}

function basePackage(base: InventoryBase, annotate: Annotate): PendingPackage {
  const checksums = digestChecksums(base.digest);
  if (base.kind === 'registry') {
    return {
      key: `base:${base.digest}`,
      idHint: 'BaseImage',
      build: (id) => ({
        SPDXID: id,
        name: registryBaseName(base),
        versionInfo: base.digest,
        downloadLocation: NOASSERTION,
        filesAnalyzed: false,
        ...(checksums ? { checksums } : {}),
        externalRefs: [purlRef(ociPurl(base))],
        primaryPackagePurpose: 'CONTAINER',
        annotations: [annotate('base:kind', 'registry')],
      }),
    };
  }
  // A local layout or archive has no registry coordinates, so no purl: the manifest digest identifies it.
  return {
    key: `base:${base.digest}`,
    idHint: 'BaseImage',
    build: (id) => ({
      SPDXID: id,
      name: base.place,
      versionInfo: base.digest,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      ...(checksums ? { checksums } : {}),
      primaryPackagePurpose: 'CONTAINER',
      annotations: [annotate('base:kind', 'place')],
    }),
  };
}

function debPackage(deb: InventoryDeb, os: InventoryOs): PendingPackage {
  const purl = debPurl(deb, os);
  const source = deb.sourceVersion ? `${deb.source} ${deb.sourceVersion}` : deb.source;
  return {
    key: `deb:${purl}`,
    idHint: `Deb-${deb.name}-${deb.version}-${deb.architecture}`,
    build: (id) => ({
      SPDXID: id,
      name: deb.name,
      versionInfo: deb.version,
      ...(deb.filename ? { packageFileName: deb.filename } : {}),
      supplier: NOASSERTION,
      // From a plan, the mirror and pool path say where the .deb came from; an installed system does not say.
      downloadLocation: deb.url ?? NOASSERTION,
      filesAnalyzed: false,
      ...(deb.sha256 ? { checksums: [{ algorithm: 'SHA256', checksumValue: deb.sha256 }] } : {}),
      // Advisories are keyed by source package, so scanners need it even when it equals the binary's name.
      sourceInfo: `built from ${os.id} source package ${source}`,
      externalRefs: [purlRef(purl)],
    }),
  };
}

function pythonPackage(pkg: InventoryPython, annotate: Annotate): PendingPackage {
  const purl = pypiPurl(pkg);
  const name = pypiName(pkg.name);
  const annotations = [
    ...(pkg.kind ? [annotate('python:kind', pkg.kind)] : []),
    ...(pkg.layer ? [annotate('python:layer', pkg.layer)] : []),
    ...(pkg.sourceDigest ? [annotate('source:digest', pkg.sourceDigest)] : []),
  ];
  return {
    key: `pypi:${purl}`,
    idHint: `PyPI-${name}-${pkg.version}`,
    build: (id) => ({
      SPDXID: id,
      name,
      versionInfo: pkg.version,
      ...(pkg.filename ? { packageFileName: pkg.filename } : {}),
      supplier: NOASSERTION,
      downloadLocation: pkg.url ?? NOASSERTION,
      filesAnalyzed: false,
      ...(pkg.sha256 ? { checksums: [{ algorithm: 'SHA256', checksumValue: pkg.sha256 }] } : {}),
      externalRefs: [purlRef(purl)],
      primaryPackagePurpose: pkg.kind === 'project' ? 'APPLICATION' : 'LIBRARY',
      ...(annotations.length ? { annotations } : {}),
    }),
  };
}

function purlRef(purl: string): NonNullable<SpdxPackage['externalRefs']>[number] {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

function digestChecksums(digest: string): SpdxPackage['checksums'] {
  const [algorithm, hex] = digest.split(':');
  if (algorithm === 'sha256') return [{ algorithm: 'SHA256', checksumValue: hex! }];
  if (algorithm === 'sha512') return [{ algorithm: 'SHA512', checksumValue: hex! }];
  return undefined;
}

/** sanitise keeps what an SPDXID may hold (letters, digits, `.` and `-`), turning each other run into one `-`. */
export function sanitise(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-') || '-';
}

/** SpdxIds hands out unique SPDXIDs: a readable sanitised hint, with `-2`, `-3` ... when two hints sanitise alike. */
class SpdxIds {
  private readonly used: Set<string>;

  constructor(reserved: string[]) {
    this.used = new Set(reserved);
  }

  take(hint: string): string {
    const wanted = `SPDXRef-${sanitise(hint)}`;
    let id = wanted;
    for (let n = 2; this.used.has(id); n++) id = `${wanted}-${n}`;
    this.used.add(id);
    return id;
  }
}

// Code-unit order, not the locale's, so every machine sorts alike.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
