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
import { tempDir } from '../../testing/images.js';
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
  assert.equal(unknown.stderr, 'kiln: --format swid is not one kiln writes yet: use cyclonedx, spdx\n');
  const place = await runKiln(['sbom', 'oci:somewhere:latest']);
  assert.equal(place.code, 2);
  assert.match(place.stderr, /^kiln: oci:somewhere:latest: kiln writes SBOMs from its own plans; reading one from an image's layers is not supported yet\n$/);
});
