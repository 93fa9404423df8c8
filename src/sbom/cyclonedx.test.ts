import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { InputError } from '../errors.js';
import type { ImagePlan, Pins } from '../plan/types.js';
import { pinnedServerPlan as pinnedPlan, testImagePlan } from '../testing/plans.js';
import { cycloneDxFromPlan, pypiName } from './cyclonedx.js';

const hex = (c: string): string => c.repeat(64);
const EPOCH = 1700000000;

interface Doc {
  serialNumber: string;
  metadata: { timestamp: string; component: { type: string; name: string; properties?: Prop[] } };
  components: Array<{ type: string; name: string; version?: string; purl?: string; hashes?: Array<{ alg: string; content: string }>; properties?: Prop[] }>;
  dependencies: Array<{ ref: string; dependsOn?: string[] }>;
}
interface Prop { name: string; value: string }

// The test fails on an invalid document: the strict validator rejects unknown fields as well as schema errors.
async function assertValid(json: string): Promise<void> {
  const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json);
  assert.equal(error, null, `CycloneDX 1.6 validation failed: ${JSON.stringify(error)}`);
}

const prop = (props: Prop[] | undefined, name: string): string | undefined => props?.find((p) => p.name === name)?.value;

test('a distro + Python entry gives a valid CycloneDX 1.6 BOM with exact purls, hashes and sources', async () => {
  const json = cycloneDxFromPlan(pinnedPlan(), { epoch: EPOCH });
  await assertValid(json);
  const doc = JSON.parse(json) as Doc & { bomFormat: string; specVersion: string };
  assert.equal(doc.bomFormat, 'CycloneDX');
  assert.equal(doc.specVersion, '1.6');
  assert.equal(doc.metadata.timestamp, '2023-11-14T22:13:20.000Z');
  assert.deepEqual([doc.metadata.component.type, doc.metadata.component.name], ['container', 'server/3.11']);
  assert.equal(prop(doc.metadata.component.properties, 'kiln:app:digest'), `sha256:${hex('3')}`);
  assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const purls = doc.components.map((c) => c.purl).filter((p): p is string => p !== undefined);
  assert.deepEqual(purls.sort(), [
    'pkg:deb/debian/libc6@2.36-9+deb12u10?arch=amd64&distro=debian-12',
    'pkg:deb/debian/python3.11-minimal@3.11.2-6+deb12u6?arch=amd64&distro=debian-12',
    'pkg:deb/debian/tzdata@2025b-0+deb12u1?arch=all&distro=debian-12',
    'pkg:pypi/helper-lib@0.1.0',
    'pkg:pypi/server@1.0.0',
    'pkg:pypi/six@1.16.0?download_url=https%3A%2F%2Ffiles.example%2Fsix-1.16.0-py2.py3-none-any.whl',
    'pkg:pypi/typing-extensions@4.12.2',
  ]);
  const byPurl = (start: string) => doc.components.find((c) => c.purl?.startsWith(start))!;
  assert.deepEqual(byPurl('pkg:deb/debian/libc6@').hashes, [{ alg: 'SHA-256', content: hex('a') }]);
  assert.equal(prop(byPurl('pkg:deb/debian/libc6@').properties, 'kiln:deb:source'), 'glibc');
  assert.equal(prop(byPurl('pkg:deb/debian/tzdata@').properties, 'kiln:deb:source'), 'tzdata');
  assert.deepEqual(byPurl('pkg:pypi/typing-extensions@').hashes, [{ alg: 'SHA-256', content: hex('e') }]);
  assert.equal(byPurl('pkg:pypi/helper-lib@').hashes, undefined);
  assert.equal(prop(byPurl('pkg:pypi/helper-lib@').properties, 'kiln:source:digest'), `sha256:${hex('1')}`);
  assert.equal(prop(byPurl('pkg:pypi/server@').properties, 'kiln:python:kind'), 'project');
  assert.equal(prop(byPurl('pkg:pypi/server@').properties, 'kiln:source:digest'), `sha256:${hex('2')}`);
  const os = doc.components.find((c) => c.type === 'operating-system')!;
  assert.deepEqual([os.name, os.version], ['debian', '12']);

  // The image depends on every component, so a consumer can walk from the image to each package.
  const image = doc.dependencies.find((d) => d.ref === 'kiln:image:server/3.11')!;
  assert.equal(image.dependsOn?.length, doc.components.length);

  // Components are sorted, whatever order the plan lists them in.
  const reversed = pinnedPlan();
  (reversed.pinned!.base as { packages: unknown[] }).packages.reverse();
  reversed.pinned!.python!.packages.reverse();
  assert.equal(cycloneDxFromPlan(reversed, { epoch: EPOCH }), json);
});

test('the same plan gives the same bytes; other content gives another serial number; the epoch sets the timestamp', () => {
  const a = cycloneDxFromPlan(pinnedPlan(), { epoch: EPOCH });
  const b = cycloneDxFromPlan(pinnedPlan(), { epoch: EPOCH });
  assert.equal(a, b);
  const other = pinnedPlan();
  other.pinned!.python!.packages[1]!.version = '1.17.0';
  const c = JSON.parse(cycloneDxFromPlan(other, { epoch: EPOCH })) as Doc;
  assert.notEqual(c.serialNumber, (JSON.parse(a) as Doc).serialNumber);
  const zero = JSON.parse(cycloneDxFromPlan(pinnedPlan(), { epoch: 0 })) as Doc;
  assert.equal(zero.metadata.timestamp, '1970-01-01T00:00:00.000Z');
  assert.notEqual(zero.serialNumber, (JSON.parse(a) as Doc).serialNumber);
});

test('ubuntu noble packages get pkg:deb/ubuntu purls with distro=ubuntu-24.04', async () => {
  const plan = testImagePlan({
    pinned: { base: { kind: 'distro', lockName: 'demo', codename: 'noble', packages: [{ name: 'libc6', version: '2.39-0ubuntu8', architecture: 'arm64', filename: 'pool/main/g/glibc/libc6.deb', sha256: hex('a'), size: 1, source: 'glibc', mirror: 'http://ports.ubuntu.com/ubuntu-ports' }] } },
  });
  const json = cycloneDxFromPlan(plan, { epoch: EPOCH });
  await assertValid(json);
  const doc = JSON.parse(json) as Doc;
  assert.ok(doc.components.some((c) => c.purl === 'pkg:deb/ubuntu/libc6@2.39-0ubuntu8?arch=arm64&distro=ubuntu-24.04'));
});

test('a registry base is listed by digest with an oci purl; a place base by its manifest digest', async () => {
  const registry = cycloneDxFromPlan(pinnedPlan({ base: { kind: 'registry', reference: `docker://127.0.0.1:5000/lib/python:3.11-slim@sha256:${hex('9')}`, digest: `sha256:${hex('9')}` } }), { epoch: EPOCH });
  await assertValid(registry);
  const base = (JSON.parse(registry) as Doc).components.find((c) => c.type === 'container')!;
  assert.equal(base.purl, `pkg:oci/python@sha256:${hex('9')}?repository_url=127.0.0.1%3A5000%2Flib%2Fpython&tag=3.11-slim`);
  assert.deepEqual(base.hashes, [{ alg: 'SHA-256', content: hex('9') }]);

  const place = cycloneDxFromPlan(pinnedPlan({ base: { kind: 'place', place: 'oci:/work/base:v1', digest: `sha256:${hex('8')}` } }), { epoch: EPOCH });
  await assertValid(place);
  const local = (JSON.parse(place) as Doc).components.find((c) => c.type === 'container')!;
  assert.deepEqual([local.name, local.version, local.purl], ['oci:/work/base:v1', `sha256:${hex('8')}`, undefined]);
  assert.deepEqual(local.hashes, [{ alg: 'SHA-256', content: hex('8') }]);
});

test('a scratch entry with no Python still gives a valid BOM naming the image', async () => {
  const json = cycloneDxFromPlan(testImagePlan({ pinned: { base: { kind: 'scratch' } } }), { epoch: 0 });
  await assertValid(json);
  assert.deepEqual((JSON.parse(json) as Doc).components ?? [], []);
});

test('an unpinned entry, an unknown release or a bad epoch is one line', () => {
  assert.throws(() => cycloneDxFromPlan(testImagePlan(), { epoch: 0 }), (e: unknown) => e instanceof InputError && /^entry "demo" pins nothing/.test(e.message));
  const sid = testImagePlan({ pinned: { base: { kind: 'distro', lockName: 'demo', codename: 'sid', packages: [] } } });
  assert.throws(() => cycloneDxFromPlan(sid, { epoch: 0 }), (e: unknown) => e instanceof InputError && e.message === 'entry "demo": no purl distro is known for release "sid" (known: bookworm, trixie, noble)');
  assert.throws(() => cycloneDxFromPlan(pinnedPlan(), { epoch: -1 }), InputError);
  assert.throws(() => cycloneDxFromPlan(pinnedPlan(), { epoch: 1.5 }), InputError);
});

test('the validator used above rejects a broken document, so the validity checks can fail', async () => {
  const doc = JSON.parse(cycloneDxFromPlan(pinnedPlan(), { epoch: EPOCH })) as Record<string, unknown>;
  doc.serialNumber = 'not-a-urn';
  const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(doc));
  assert.notEqual(error, null);
});

test('pypiName normalises as PEP 503', () => {
  assert.equal(pypiName('Typing_Extensions'), 'typing-extensions');
  assert.equal(pypiName('zope.interface'), 'zope-interface');
  assert.equal(pypiName('a__b--c'), 'a-b-c');
});
