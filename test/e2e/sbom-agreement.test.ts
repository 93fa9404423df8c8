// Issue 12: on images kiln built, the SBOM written from the pinned plan and the SBOM read back from the image's
// layers name the same packages (pkg:deb and pkg:pypi, by name, version and arch). The one rule between them:
// Python distributions under Debian's /usr/lib/python3/dist-packages are their .deb only, in both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { runKiln, repoRoot } from '../../src/testing/cli.js';
import { tempDir } from '../../src/testing/images.js';
import { copyPythonProject, SLIM_PIP_MANIFEST } from '../../src/testing/python-project.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

/** purlSet is the SBOM's pkg:deb and pkg:pypi components as `type/name@version` (plus `?arch=` for debs). */
function purlSet(sbom: string): string[] {
  const bom = JSON.parse(sbom) as { components: Array<{ purl?: string }> };
  return bom.components.flatMap(({ purl }) => {
    if (!purl) return [];
    const parsed = PackageURL.fromString(purl);
    if (parsed.type === 'deb') return [`deb/${parsed.name}@${parsed.version}?arch=${parsed.qualifiers?.arch}`];
    if (parsed.type === 'pypi') return [`pypi/${parsed.name}@${parsed.version}`];
    return [];
  }).sort();
}

async function bothSboms(project: string, place: string, env: NodeJS.ProcessEnv): Promise<{ plan: string[]; layers: string[] }> {
  const built = await runKiln(['build', project, '-q', '-o', place], { env });
  assert.equal(built.code, 0, built.stderr);
  const fromPlan = await runKiln(['sbom', project], { env });
  assert.equal(fromPlan.code, 0, fromPlan.stderr);
  const fromLayers = await runKiln(['sbom', place], { env });
  assert.equal(fromLayers.code, 0, fromLayers.stderr);
  return { plan: purlSet(fromPlan.stdout), layers: purlSet(fromLayers.stdout) };
}

test('hello-python: the plan SBOM and the layer SBOM list the same Debian packages', { timeout: 900_000 }, async () => {
  const work = await tempDir();
  const project = join(work, 'hello');
  await cp(join(repoRoot, 'examples/hello-python'), project, { recursive: true, filter: (src) => !/\/(out|kiln\.lock)$/.test(src) });
  // The shared cache: debian-base builds this same example from the same .debs.
  const { plan, layers } = await bothSboms(project, `docker-archive:${work}/hello.tar:kiln/hello-python:sbom`, { KILN_CACHE_DIR: sharedCacheDir() });
  assert.ok(plan.some((purl) => purl.startsWith('deb/python3.11-minimal@')), plan.join('\n'));
  assert.ok(!plan.some((purl) => purl.startsWith('pypi/')), 'hello-python installs no Python distributions');
  assert.deepEqual(layers, plan);
});

test('a poetry project on a slim base with python3-pip: the same debs and wheels both ways; Debian\'s pip is a deb only', { timeout: 1_200_000 }, async () => {
  const work = await tempDir();
  const project = join(work, 'project');
  await copyPythonProject(project);
  await writeFile(join(project, 'kiln.yaml'), SLIM_PIP_MANIFEST);
  // The shared cache: python-project builds this slim base from the same .debs.
  const { plan, layers } = await bothSboms(project, `oci:${work}/layout:demo`, { KILN_CACHE_DIR: sharedCacheDir() });
  assert.deepEqual(plan.filter((purl) => purl.startsWith('pypi/')), [
    'pypi/colorlite@2.1.0', 'pypi/demo-common@0.1.0', 'pypi/demo-server@0.3.0', 'pypi/tinyformat@1.2.0',
  ]);
  // python3-pip puts pip's dist-info (with a RECORD) in /usr/lib/python3/dist-packages: that is the deb, not pkg:pypi/pip.
  assert.ok(plan.some((purl) => purl.startsWith('deb/python3-pip@')), plan.join('\n'));
  assert.deepEqual(layers, plan);
});
