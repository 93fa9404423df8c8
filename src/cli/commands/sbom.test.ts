import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { formatPlanFile } from '../../plan/index.js';
import type { BuildPlan } from '../../plan/index.js';
import type { SpdxDocument } from '../../sbom/spdx.js';
import { repoRoot, runKiln } from '../../testing/cli.js';
import { spdxSchemaErrors } from '../../testing/spdx-schema.js';
import { imageWithLayers, tempDir, tempStore } from '../../testing/images.js';
import { writeImage } from '../../places/index.js';
import { withConfig } from '../../oci/mutate.js';
import { startRegistry } from '../../testing/registry.js';
import { testImagePlan } from '../../testing/plans.js';

const HASH = 'b'.repeat(64);

function pinnedPlan(names: string[]): BuildPlan {
  return {
    manifestFile: '/work/kiln.yaml',
    notices: [],
    images: names.map((name) => testImagePlan({
      name,
      image: name,
      epoch: 1700000000,
      pinned: {
        base: { kind: 'distro', lockName: name, codename: 'bookworm', packages: [
          { name: 'libssl3', version: '3.0.22-1~deb12u2', architecture: 'amd64', filename: 'pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb', sha256: HASH, size: 1, source: 'openssl', mirror: 'http://security.debian.org/debian-security' },
        ] },
        python: {
          target: { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'packages' },
          lock: { path: '/work/poetry.lock', sha256: HASH },
          findLinks: [],
          indexUrls: ['https://pypi.org/simple'],
          packages: [{ name: 'Six', version: '1.16.0', kind: 'index', filename: 'six-1.16.0-py2.py3-none-any.whl', sha256: HASH, layer: 'python dependencies' }],
        },
      },
    })),
  };
}

test('kiln sbom --plan writes a valid CycloneDX 1.6 SBOM with the pinned .debs and wheels, the same bytes each time', async () => {
  const dir = await tempDir();
  const planFile = join(dir, 'plan.json');
  await writeFile(planFile, formatPlanFile(pinnedPlan(['server'])));
  const printed = await runKiln(['sbom', '--plan', planFile]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(printed.stdout), null);
  const bom = JSON.parse(printed.stdout) as { specVersion: string; metadata: { timestamp: string }; components: Array<{ purl?: string; hashes?: Array<{ content: string }> }> };
  assert.equal(bom.specVersion, '1.6');
  assert.equal(bom.metadata.timestamp, '2023-11-14T22:13:20.000Z');
  const purls = bom.components.flatMap((component) => (component.purl ? [component.purl] : []));
  assert.ok(purls.includes('pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64&distro=debian-12'), purls.join(' '));
  assert.ok(purls.includes('pkg:pypi/six@1.16.0'), purls.join(' '));
  const written = join(dir, 'sbom.json');
  const toFile = await runKiln(['sbom', '--plan', planFile, '-o', written]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(await readFile(written, 'utf8'), printed.stdout);
});

test('kiln sbom --format spdx writes a valid SPDX 2.3 document naming kiln\'s version, the same bytes each time', async () => {
  const dir = await tempDir();
  const planFile = join(dir, 'plan.json');
  await writeFile(planFile, formatPlanFile(pinnedPlan(['server'])));
  const printed = await runKiln(['sbom', '--plan', planFile, '--format', 'spdx']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.deepEqual(spdxSchemaErrors(printed.stdout), []);
  const doc = JSON.parse(printed.stdout) as SpdxDocument;
  const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.deepEqual(doc.creationInfo, { created: '2023-11-14T22:13:20Z', creators: [`Tool: kiln-${version}`] });
  const purls = doc.packages.flatMap((pkg) => pkg.externalRefs?.map((ref) => ref.referenceLocator) ?? []);
  assert.deepEqual(purls.sort(), ['pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64&distro=debian-12', 'pkg:pypi/six@1.16.0']);
  const libssl = doc.packages.find((pkg) => pkg.name === 'libssl3')!;
  assert.deepEqual([libssl.checksums, libssl.sourceInfo], [[{ algorithm: 'SHA256', checksumValue: HASH }], 'built from debian source package openssl']);
  const written = join(dir, 'sbom.spdx.json');
  const toFile = await runKiln(['sbom', '--plan', planFile, '--format', 'spdx', '-o', written]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(await readFile(written, 'utf8'), printed.stdout);
});

test('kiln sbom: several entries without --only, an unknown format or an image place is one line, exit 2', async () => {
  const dir = await tempDir();
  const planFile = join(dir, 'plan.json');
  await writeFile(planFile, formatPlanFile(pinnedPlan(['a', 'b'])));
  const several = await runKiln(['sbom', '--plan', planFile]);
  assert.equal(several.code, 2);
  assert.equal(several.stderr, 'kiln: the manifest has 2 entries (a, b): name one with --only\n');
  const one = await runKiln(['sbom', '--plan', planFile, '--only', 'b']);
  assert.equal(one.code, 0, one.stderr);
  const unknown = await runKiln(['sbom', '--plan', planFile, '--only', 'a', '--format', 'swid']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "kiln: error: option '--format <FORMAT>' argument 'swid' is invalid. expected one of cyclonedx, spdx\n");
  const place = await runKiln(['sbom', 'oci:somewhere:latest', '--only', 'a']);
  assert.equal(place.code, 2);
  assert.equal(place.stderr, 'kiln: oci:somewhere:latest: an image is read from its layers; --plan, -f, --set and --only name plan entries\n');
});

test('kiln sbom PLACE reads an image\'s layers: the same valid CycloneDX from oci: and docker-archive:, timestamped by its created time', async () => {
  const dir = await tempDir();
  const store = await tempStore();
  const layers = await imageWithLayers(store, {
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'var/lib/dpkg/status.d/libssl3': 'Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n',
  }, {
    'opt/venv/lib/python3.11/site-packages/Six-1.16.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: Six\nVersion: 1.16.0\n',
    'opt/venv/lib/python3.11/site-packages/Six-1.16.0.dist-info/RECORD': '',
  });
  const image = await withConfig(layers, (config) => { config.created = '2024-05-06T07:08:09Z'; });
  await writeImage(`oci:${dir}/layout:v1`, image, { store });
  await writeImage(`docker-archive:${dir}/image.tar:test/image:v1`, image, { store });
  const env = { KILN_CACHE_DIR: join(dir, 'cache'), SOURCE_DATE_EPOCH: '' };
  const fromLayout = await runKiln(['sbom', `oci:${dir}/layout:v1`], { env });
  assert.equal(fromLayout.code, 0, fromLayout.stderr);
  assert.equal(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(fromLayout.stdout), null);
  const bom = JSON.parse(fromLayout.stdout) as { metadata: { timestamp: string; component: { version: string } }; components: Array<{ purl?: string; properties?: Array<{ name: string; value: string }> }> };
  assert.equal(bom.metadata.timestamp, '2024-05-06T07:08:09.000Z');
  assert.equal(bom.metadata.component.version, await image.digest());
  assert.deepEqual(bom.components.flatMap((component) => (component.purl ? [component.purl] : [])).sort(), [
    'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12',
    'pkg:pypi/six@1.16.0',
  ]);
  assert.deepEqual(bom.components.find((component) => component.purl?.startsWith('pkg:deb/'))?.properties, [{ name: 'kiln:deb:source', value: 'openssl' }]);

  const fromArchive = await runKiln(['sbom', `docker-archive:${dir}/image.tar`, '-o', join(dir, 'sbom.json')], { env: { ...env, SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(fromArchive.code, 0, fromArchive.stderr);
  const written = await readFile(join(dir, 'sbom.json'), 'utf8');
  assert.equal(JSON.parse(written).metadata.timestamp, '2023-11-14T22:13:20.000Z');
  const components = (text: string): unknown => (JSON.parse(text) as { components: unknown }).components;
  assert.deepEqual(components(written), components(fromLayout.stdout), 'the same components from both places');
  const again = await runKiln(['sbom', `oci:${dir}/layout:v1`], { env });
  assert.equal(again.stdout, fromLayout.stdout, 'same image, same bytes');
});

test('kiln sbom PLACE: an image with no package database is one line, exit 1', async () => {
  const dir = await tempDir();
  const store = await tempStore();
  await writeImage(`oci:${dir}/layout:v1`, await imageWithLayers(store, { 'app/server.py': 'print(1)\n' }), { store });
  const result = await runKiln(['sbom', `oci:${dir}/layout:v1`, '-o', join(dir, 'sbom.json')], { env: { KILN_CACHE_DIR: join(dir, 'cache') } });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `kiln: oci:${dir}/layout:v1: no package database found (no dpkg status, no dist-info)\n`);
  await assert.rejects(readFile(join(dir, 'sbom.json')), /ENOENT/);
});

test('kiln sbom docker://REF reads the layers from a registry', async () => {
  const registry = await startRegistry();
  try {
    const dir = await tempDir();
    const store = await tempStore();
    const image = await imageWithLayers(store, {
      'usr/local/lib/python3.11/site-packages/tinyformat-1.2.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: tinyformat\nVersion: 1.2.0\n',
      'usr/local/lib/python3.11/site-packages/tinyformat-1.2.0.dist-info/RECORD': '',
    });
    const reference = `${registry.host}/kiln/sbom:v1`;
    await writeImage(`docker://${reference}`, image, { store, env: { DOCKER_CONFIG: join(dir, 'no-docker-config') } });
    const result = await runKiln(['sbom', `docker://${reference}`], { env: { KILN_CACHE_DIR: join(dir, 'cache'), DOCKER_CONFIG: join(dir, 'no-docker-config') } });
    assert.equal(result.code, 0, result.stderr);
    const bom = JSON.parse(result.stdout) as { metadata: { component: { name: string; version: string } }; components: Array<{ purl?: string }> };
    assert.deepEqual(bom.metadata.component, { ...bom.metadata.component, name: `docker://${reference}`, version: await image.digest() });
    assert.deepEqual(bom.components.map((component) => component.purl), ['pkg:pypi/tinyformat@1.2.0']);
  } finally {
    await registry.stop();
  }
});
