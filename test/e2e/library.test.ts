// kiln as a library: `npm pack` the package, install the tarball in a fresh project (from the npm cache where it can, the npm registry otherwise),
// import { plan, build, publish } from 'kiln', check the plan is pinned, and build hello-python into an OCI layout:
// the digest equals the CLI's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runKiln } from '../../src/testing/cli.js';
import { tempDir } from '../../src/testing/images.js';

const exec = promisify(execFile);

const CONSUMER = `import { plan, build, publish } from 'kiln';
const [dir, out] = process.argv.slice(2);
const entries = await plan({ manifest: dir, outputs: ['oci:' + out] });
const pinned = entries.images[0].pinned;
if (pinned?.base.kind !== 'distro' || !pinned.base.packages.every((p) => /^[0-9a-f]{64}$/.test(p.sha256))) throw new Error('plan() did not pin the Debian base');
if (!/^sha256:[0-9a-f]{64}$/.test(pinned.app?.digest ?? '')) throw new Error('plan() did not pin the app folder');
const results = await build(entries);
const failed = results.find((result) => result.status !== 'built');
if (failed) throw new Error(failed.error);
const summary = await publish(entries, results);
console.log(JSON.stringify({ digests: results.map((result) => result.report.digest), outputs: summary.outputs }));
`;

async function layoutDigest(layout: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> };
  // A layout named without a tag holds the image alone, tagged latest (its SBOM goes only beside a tag the user
  // wrote), so skopeo can pick it untagged and umoci by its default tag.
  assert.deepEqual(index.manifests.map((m) => [m.artifactType, m.annotations?.['org.opencontainers.image.ref.name']]), [[undefined, 'latest']]);
  return index.manifests[0]!.digest;
}

test('another Node project imports kiln from its packed tarball and builds hello-python with the CLI\'s digest', { timeout: 900_000 }, async (t) => {
  const work = await tempDir();
  const started = performance.now();
  await exec('npm', ['pack', '--pack-destination', work], { cwd: repoRoot, maxBuffer: 64 << 20 });
  const [tarball] = (await readdir(work)).filter((name) => name.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  const { stdout: listing } = await exec('tar', ['-tzf', join(work, tarball)]);
  for (const file of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/dist/bundle/main.js', 'package/dist/bundle/fingerprint', 'package/bin/kiln.js']) assert.match(listing, new RegExp(`^${file}$`, 'm'));
  assert.doesNotMatch(listing, /\.test\.(js|ts)$|^package\/src\//m, 'no tests or sources in the package');

  const consumer = join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  await exec('npm', ['install', join(work, tarball), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, maxBuffer: 64 << 20 });
  await writeFile(join(consumer, 'build.mjs'), CONSUMER);
  t.diagnostic(`packed and installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const project = join(work, 'hello');
  await cp(join(repoRoot, 'examples/hello-python'), project, { recursive: true, filter: (src) => !/\/(out|generated)$/.test(src) });
  const env = { ...process.env, KILN_CACHE_DIR: join(work, 'cache') };
  const viaApi = await exec(process.execPath, [join(consumer, 'build.mjs'), project, join(work, 'api-layout')], { cwd: consumer, env, maxBuffer: 64 << 20 });
  const api = JSON.parse(viaApi.stdout) as { digests: string[]; outputs: Record<string, string[]> };
  assert.deepEqual(api.outputs, { 'hello-python': [`oci:${join(work, 'api-layout')}`] });

  const viaCli = await runKiln(['build', project, '-q', '--json', '-o', `oci:${join(work, 'cli-layout')}`], { env });
  assert.equal(viaCli.code, 0, viaCli.stderr);
  const cli = JSON.parse(viaCli.stdout) as { images: Array<{ digest: string }> };
  assert.deepEqual(api.digests, cli.images.map((image) => image.digest));
  assert.equal(await layoutDigest(join(work, 'api-layout')), api.digests[0]);
  assert.equal(await layoutDigest(join(work, 'cli-layout')), api.digests[0]);
});
