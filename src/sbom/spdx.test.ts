import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { pinnedServerPlan as pinnedPlan, testImagePlan } from '../testing/plans.js';
import { spdxSchemaErrors } from '../testing/spdx-schema.js';
import { cycloneDxFromInventory } from './cyclonedx.js';
import { inventoryFromPlan, type Inventory } from './inventory.js';
import { NAMESPACE_BASE, sanitise, spdxFromInventory, spdxFromPlan, type SpdxDocument, type SpdxPackage } from './spdx.js';

const hex = (c: string): string => c.repeat(64);
const EPOCH = 1700000000;
const OPTIONS = { epoch: EPOCH, toolVersion: '9.9.9' };

function assertValid(json: string): SpdxDocument {
  assert.deepEqual(spdxSchemaErrors(json), [], 'SPDX 2.3 schema validation failed');
  const doc = JSON.parse(json) as SpdxDocument;
  // The schema leaves these to the specification's text: check them here so a slip cannot pass as valid.
  const ids = [doc.SPDXID, ...doc.packages.map((pkg) => pkg.SPDXID)];
  for (const id of ids) assert.match(id, /^SPDXRef-[A-Za-z0-9.-]+$/);
  assert.equal(new Set(ids).size, ids.length, `duplicate SPDXIDs: ${ids.join(' ')}`);
  for (const rel of doc.relationships) {
    assert.ok(ids.includes(rel.spdxElementId) && ids.includes(rel.relatedSpdxElement), `dangling relationship ${JSON.stringify(rel)}`);
  }
  assert.match(doc.creationInfo.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.doesNotMatch(doc.documentNamespace, /#/);
  assert.ok(URL.canParse(doc.documentNamespace));
  return doc;
}

const purlOf = (pkg: SpdxPackage): string | undefined => pkg.externalRefs?.find((ref) => ref.referenceType === 'purl')?.referenceLocator;
const byPurl = (doc: SpdxDocument, start: string): SpdxPackage => doc.packages.find((pkg) => purlOf(pkg)?.startsWith(start))!;
const notes = (pkg: SpdxPackage): string[] => (pkg.annotations ?? []).map((note) => note.comment);

test('a distro + Python entry gives a valid SPDX 2.3 document with exact purls, checksums and source packages', () => {
  const json = spdxFromPlan(pinnedPlan(), OPTIONS);
  const doc = assertValid(json);
  assert.deepEqual([doc.spdxVersion, doc.dataLicense, doc.SPDXID, doc.name], ['SPDX-2.3', 'CC0-1.0', 'SPDXRef-DOCUMENT', 'server/3.11']);
  assert.deepEqual(doc.creationInfo, { created: '2023-11-14T22:13:20Z', creators: ['Tool: kiln-9.9.9'] });
  assert.match(doc.documentNamespace, /^https:\/\/kiln\.invalid\/spdx\/server-3\.11-[0-9a-f]{64}$/);

  assert.deepEqual(doc.packages.map(purlOf).filter((purl) => purl !== undefined).sort(), [
    'pkg:deb/debian/libc6@2.36-9+deb12u10?arch=amd64&distro=debian-12',
    'pkg:deb/debian/python3.11-minimal@3.11.2-6+deb12u6?arch=amd64&distro=debian-12',
    'pkg:deb/debian/tzdata@2025b-0+deb12u1?arch=all&distro=debian-12',
    'pkg:pypi/helper-lib@0.1.0',
    'pkg:pypi/server@1.0.0',
    'pkg:pypi/six@1.16.0?download_url=https%3A%2F%2Ffiles.example%2Fsix-1.16.0-py2.py3-none-any.whl',
    'pkg:pypi/typing-extensions@4.12.2',
  ]);
  assert.deepEqual(byPurl(doc, 'pkg:deb/debian/libc6@'), {
    SPDXID: 'SPDXRef-Deb-libc6-2.36-9-deb12u10-amd64',
    name: 'libc6',
    versionInfo: '2.36-9+deb12u10',
    packageFileName: 'pool/main/g/glibc/libc6.deb',
    supplier: 'NOASSERTION',
    downloadLocation: 'http://deb.debian.org/debian/pool/main/g/glibc/libc6.deb',
    filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: hex('a') }],
    sourceInfo: 'built from debian source package glibc',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libc6@2.36-9+deb12u10?arch=amd64&distro=debian-12' }],
  });
  assert.equal(byPurl(doc, 'pkg:deb/debian/tzdata@').sourceInfo, 'built from debian source package tzdata');

  const typing = byPurl(doc, 'pkg:pypi/typing-extensions@');
  assert.deepEqual([typing.SPDXID, typing.name, typing.versionInfo, typing.packageFileName, typing.primaryPackagePurpose, typing.downloadLocation],
    ['SPDXRef-PyPI-typing-extensions-4.12.2', 'typing-extensions', '4.12.2', 'typing_extensions-4.12.2-py3-none-any.whl', 'LIBRARY', 'NOASSERTION']);
  assert.deepEqual(typing.checksums, [{ algorithm: 'SHA256', checksumValue: hex('e') }]);
  assert.equal(byPurl(doc, 'pkg:pypi/six@').downloadLocation, 'https://files.example/six-1.16.0-py2.py3-none-any.whl');
  const helper = byPurl(doc, 'pkg:pypi/helper-lib@');
  assert.equal(helper.checksums, undefined);
  assert.deepEqual(notes(helper), ['kiln:python:kind=path', 'kiln:python:layer=python dependencies', `kiln:source:digest=sha256:${hex('1')}`]);
  assert.deepEqual(helper.annotations![0], { annotationDate: '2023-11-14T22:13:20Z', annotationType: 'OTHER', annotator: 'Tool: kiln-9.9.9', comment: 'kiln:python:kind=path' });
  const project = byPurl(doc, 'pkg:pypi/server@');
  assert.equal(project.primaryPackagePurpose, 'APPLICATION');
  assert.ok(notes(project).includes(`kiln:source:digest=sha256:${hex('2')}`));

  const image = doc.packages.find((pkg) => pkg.SPDXID === 'SPDXRef-Image')!;
  assert.deepEqual([image.name, image.primaryPackagePurpose, notes(image)], ['server/3.11', 'CONTAINER', [`kiln:app:digest=sha256:${hex('3')}`]]);
  const os = doc.packages.find((pkg) => pkg.primaryPackagePurpose === 'OPERATING_SYSTEM')!;
  assert.deepEqual([os.SPDXID, os.name, os.versionInfo], ['SPDXRef-OperatingSystem-debian-12', 'debian', '12']);

  // The document describes the image, and the image contains every other package, so a consumer can walk to each one.
  assert.deepEqual(doc.relationships[0], { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' });
  const contained = doc.relationships.filter((rel) => rel.spdxElementId === 'SPDXRef-Image' && rel.relationshipType === 'CONTAINS').map((rel) => rel.relatedSpdxElement);
  assert.deepEqual(contained, doc.packages.map((pkg) => pkg.SPDXID).filter((id) => id !== 'SPDXRef-Image'));
  assert.equal(doc.relationships.length, doc.packages.length);

  // Packages are sorted, whatever order the plan lists them in.
  assert.deepEqual(doc.packages.map((pkg) => pkg.SPDXID), doc.packages.map((pkg) => pkg.SPDXID).sort());
  const reversed = pinnedPlan();
  (reversed.pinned!.base as { packages: unknown[] }).packages.reverse();
  reversed.pinned!.python!.packages.reverse();
  assert.equal(spdxFromPlan(reversed, OPTIONS), json);
});

test('the same inventory gives the same bytes; other content, another epoch or another kiln gives another namespace', () => {
  const a = spdxFromPlan(pinnedPlan(), OPTIONS);
  assert.equal(spdxFromPlan(pinnedPlan(), OPTIONS), a);
  const namespace = (JSON.parse(a) as SpdxDocument).documentNamespace;
  const other = pinnedPlan();
  other.pinned!.python!.packages[1]!.version = '1.17.0';
  const changed = JSON.parse(spdxFromPlan(other, OPTIONS)) as SpdxDocument;
  assert.notEqual(changed.documentNamespace, namespace);
  const zero = JSON.parse(spdxFromPlan(pinnedPlan(), { ...OPTIONS, epoch: 0 })) as SpdxDocument;
  assert.equal(zero.creationInfo.created, '1970-01-01T00:00:00Z');
  assert.notEqual(zero.documentNamespace, namespace);
  const newer = JSON.parse(spdxFromPlan(pinnedPlan(), { ...OPTIONS, toolVersion: '10.0.0' })) as SpdxDocument;
  assert.deepEqual(newer.creationInfo.creators, ['Tool: kiln-10.0.0']);
  assert.notEqual(newer.documentNamespace, namespace);
  // The namespace is the sha256 of the document written with an empty namespace: a name for the content, not a random id.
  const blank = `${JSON.stringify({ ...(JSON.parse(a) as SpdxDocument), documentNamespace: '' }, null, 2)}\n`;
  assert.equal(namespace, `${NAMESPACE_BASE}server-3.11-${createHash('sha256').update(blank).digest('hex')}`);
});

test('purls equal the CycloneDX BOM\'s for the same inventory, bases included', () => {
  const purls = {
    spdx: (inventory: Inventory) => (JSON.parse(spdxFromInventory(inventory, OPTIONS)) as SpdxDocument).packages.map(purlOf).filter((p) => p !== undefined).sort(),
    cyclonedx: (inventory: Inventory) => (JSON.parse(cycloneDxFromInventory(inventory, OPTIONS)) as { components?: Array<{ purl?: string }> }).components?.map((c) => c.purl).filter((p) => p !== undefined).sort() ?? [],
  };
  const registryBase = pinnedPlan({ base: { kind: 'registry', reference: `docker://127.0.0.1:5000/lib/python:3.11-slim@sha256:${hex('9')}`, digest: `sha256:${hex('9')}` } });
  for (const plan of [pinnedPlan(), registryBase]) {
    const inventory = inventoryFromPlan(plan);
    const spdx = purls.spdx(inventory);
    assert.ok(spdx.length > 0);
    assert.deepEqual(spdx, purls.cyclonedx(inventory));
  }
});

test('a registry base is listed by digest with an oci purl and checksum; a place base by its manifest digest', () => {
  const registry = assertValid(spdxFromPlan(pinnedPlan({ base: { kind: 'registry', reference: `docker://127.0.0.1:5000/lib/python:3.11-slim@sha256:${hex('9')}`, digest: `sha256:${hex('9')}` } }), OPTIONS));
  const base = registry.packages.find((pkg) => pkg.SPDXID === 'SPDXRef-BaseImage')!;
  assert.deepEqual([base.name, base.versionInfo, base.primaryPackagePurpose, purlOf(base), notes(base)],
    ['127.0.0.1:5000/lib/python', `sha256:${hex('9')}`, 'CONTAINER', `pkg:oci/python@sha256:${hex('9')}?repository_url=127.0.0.1%3A5000%2Flib%2Fpython&tag=3.11-slim`, ['kiln:base:kind=registry']]);
  assert.deepEqual(base.checksums, [{ algorithm: 'SHA256', checksumValue: hex('9') }]);
  assert.ok(registry.relationships.some((rel) => rel.spdxElementId === 'SPDXRef-Image' && rel.relationshipType === 'CONTAINS' && rel.relatedSpdxElement === 'SPDXRef-BaseImage'));

  const place = assertValid(spdxFromPlan(pinnedPlan({ base: { kind: 'place', place: 'oci:/work/base:v1', digest: `sha256:${hex('8')}` } }), OPTIONS));
  const local = place.packages.find((pkg) => pkg.SPDXID === 'SPDXRef-BaseImage')!;
  assert.deepEqual([local.name, local.versionInfo, local.externalRefs, notes(local)], ['oci:/work/base:v1', `sha256:${hex('8')}`, undefined, ['kiln:base:kind=place']]);
  assert.deepEqual(local.checksums, [{ algorithm: 'SHA256', checksumValue: hex('8') }]);
});

test('SPDXIDs keep only [A-Za-z0-9.-], stay unique when names sanitise alike, and do not depend on inventory order', () => {
  const inventory: Inventory = {
    name: 'odd name_1',
    os: { id: 'ubuntu', versionId: '24.04' },
    debs: [
      { name: 'libfoo', version: '1:1.0+a', architecture: 'amd64', source: 'foo', sourceVersion: '1:1.0' },
      { name: 'libfoo', version: '1:1.0~a', architecture: 'amd64', source: 'foo', sourceVersion: '1:1.0' },
      { name: 'libfoo', version: '1:1.0+a', architecture: 'i386', source: 'foo' },
    ],
    python: [{ name: 'Zope.Interface', version: '6.0' }, { name: 'zope_interface', version: '6!0' }],
  };
  const json = spdxFromInventory(inventory, OPTIONS);
  const doc = assertValid(json);
  assert.match(doc.documentNamespace, /^https:\/\/kiln\.invalid\/spdx\/odd-name-1-[0-9a-f]{64}$/);
  assert.deepEqual(doc.packages.map((pkg) => pkg.SPDXID), [
    'SPDXRef-Deb-libfoo-1-1.0-a-amd64',
    'SPDXRef-Deb-libfoo-1-1.0-a-amd64-2',
    'SPDXRef-Deb-libfoo-1-1.0-a-i386',
    'SPDXRef-Image',
    'SPDXRef-OperatingSystem-ubuntu-24.04',
    'SPDXRef-PyPI-zope-interface-6-0',
    'SPDXRef-PyPI-zope-interface-6.0',
  ]);
  // The key that orders ID assignment is the purl, where `+` sorts before `~`.
  assert.equal(byPurl(doc, 'pkg:deb/ubuntu/libfoo@1:1.0~a').SPDXID, 'SPDXRef-Deb-libfoo-1-1.0-a-amd64-2');
  assert.equal(byPurl(doc, 'pkg:deb/ubuntu/libfoo@1:1.0+a?arch=amd64').sourceInfo, 'built from ubuntu source package foo 1:1.0');
  const reversed = { ...inventory, debs: [...inventory.debs].reverse(), python: [...inventory.python].reverse() };
  assert.equal(spdxFromInventory(reversed, OPTIONS), json);
  assert.equal(sanitise('a_b/c:d..e'), 'a-b-c-d..e');
  assert.equal(sanitise('///'), '-');
});

test('a scratch entry with no Python still gives a valid document naming the image', () => {
  const doc = assertValid(spdxFromPlan(testImagePlan({ pinned: { base: { kind: 'scratch' } } }), { epoch: 0, toolVersion: '0.1.0' }));
  assert.deepEqual(doc.packages.map((pkg) => [pkg.SPDXID, pkg.name]), [['SPDXRef-Image', 'demo']]);
  assert.deepEqual(doc.relationships, [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' }]);
});

test('an unpinned entry, an unknown release, a bad epoch or debs without a release is one line', () => {
  assert.throws(() => spdxFromPlan(testImagePlan(), OPTIONS), (e: unknown) => e instanceof InputError && /^entry "demo" pins nothing/.test(e.message));
  const sid = testImagePlan({ pinned: { base: { kind: 'distro', lockName: 'demo', codename: 'sid', packages: [] } } });
  assert.throws(() => spdxFromPlan(sid, OPTIONS), (e: unknown) => e instanceof InputError && /^entry "demo": release "sid" is not one kiln knows/.test(e.message));
  assert.throws(() => spdxFromPlan(pinnedPlan(), { ...OPTIONS, epoch: -1 }), InputError);
  assert.throws(() => spdxFromPlan(pinnedPlan(), { ...OPTIONS, epoch: 1.5 }), InputError);
  const noRelease: Inventory = { name: 'x', debs: [{ name: 'libc6', version: '1', architecture: 'amd64', source: 'glibc' }], python: [] };
  assert.throws(() => spdxFromInventory(noRelease, OPTIONS), (e: unknown) => e instanceof InputError && e.message === 'x: Debian packages without a release (no /etc/os-release) cannot be named by purl');
});

test('the schema validator used above rejects broken documents, so the validity checks can fail', () => {
  const good = JSON.parse(spdxFromPlan(pinnedPlan(), OPTIONS)) as Record<string, unknown> & SpdxDocument;
  const broken = (change: (doc: typeof good) => void): string[] => {
    const doc = structuredClone(good);
    change(doc);
    return spdxSchemaErrors(JSON.stringify(doc));
  };
  assert.deepEqual(broken((doc) => delete (doc as Partial<SpdxDocument>).documentNamespace), ["/: must have required property 'documentNamespace'"]);
  assert.deepEqual(broken((doc) => ((doc.relationships[0] as { relationshipType: string }).relationshipType = 'OWNS')), ['/relationships/0/relationshipType: must be equal to one of the allowed values']);
  assert.deepEqual(broken((doc) => delete (doc.packages[0] as Partial<SpdxPackage>).downloadLocation), ["/packages/0: must have required property 'downloadLocation'"]);
  assert.deepEqual(broken((doc) => (doc.packages[0]!.checksums = [{ algorithm: 'SHA-256' as 'SHA256', checksumValue: hex('a') }])), ['/packages/0/checksums/0/algorithm: must be equal to one of the allowed values']);
  assert.deepEqual(broken((doc) => (doc.serialNumber = 'x')), ['/: must NOT have additional properties']);
});
