// Issue 6 acceptance: a manifest of 2 servers x 2 Python versions (bookworm = 3.11, trixie = 3.13, both
// assembled from Debian's mirror) x 2 variants expands to 8 entries, builds natively, runs under Docker,
// and is pushed to two registries (one with htpasswd credentials from env vars named in kiln.yaml).
// A broken entry fails alone and holds every tag back unless --partial; immutable tags refuse to move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../src/testing/cli.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { matrixManifest, matrixServer, writeMatrixProject, type MatrixRegistry } from '../../src/testing/matrix-project.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

// `sha256-<hex>` tags list each image's SBOM (the referrers tag schema): bookkeeping, not the images' tags.
const REFERRERS_TAG = /^sha256-[0-9a-f]{64}$/;

async function allTagsOf(registry: TestRegistry, repository: string, auth = false): Promise<string[]> {
  const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${registry.user}:${registry.password}`).toString('base64')}` } : {};
  const response = await fetch(`http://${registry.host}/v2/${repository}/tags/list`, { headers });
  if (response.status === 404) return [];
  assert.equal(response.status, 200, `tags/list ${repository}`);
  return ((await response.json()) as { tags: string[] | null }).tags?.sort() ?? [];
}

async function tagsOf(registry: TestRegistry, repository: string, auth = false): Promise<string[]> {
  return (await allTagsOf(registry, repository, auth)).filter((tag) => !REFERRERS_TAG.test(tag));
}

const NAMES = ['server-a', 'server-b'].flatMap((server) => ['3.11', '3.13'].flatMap((python) => ['cpu', 'gpu'].map((variant) => `${server}/${python}-${variant}`)));
const TAGS = ['3.11', '3.13'].flatMap((python) => ['cpu', 'gpu'].flatMap((variant) => [`0.3.0-py${python}-${variant}`, `py${python}-${variant}`])).sort();

test('matrix: 8 entries planned, built natively, run, pushed to two registries; a broken entry holds tags back', { timeout: 900_000 }, async (t) => {
  const work = await tempDir();
  const one = await startRegistry();
  const two = await startRegistry({ auth: 'htpasswd' });
  const three = await startRegistry();
  t.after(async () => {
    await Promise.all([one.stop(), two.stop(), three.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  const registries: MatrixRegistry[] = [
    { name: 'one', host: one.host },
    { name: 'two', host: two.host, auth: { usernameEnv: 'MATRIX_REG_USER', passwordEnv: 'MATRIX_REG_PASS' } },
  ];
  const project = await writeMatrixProject(join(work, 'project'), registries);
  // The shared cache: the bookworm and trixie python3 .debs are other e2e files' too.
  const env = { KILN_CACHE_DIR: sharedCacheDir(), MATRIX_REG_USER: two.user, MATRIX_REG_PASS: two.password };

  // The plan: 8 entries, their tags and both destinations, without building.
  const planned = await runKiln(['plan', project, '--json'], { env });
  assert.equal(planned.code, 0, planned.stderr);
  const plan = JSON.parse(planned.stdout) as { images: Array<{ name: string; tags: string[]; entry: Record<string, string>; base: { spec: { release: string } }; destinations: Array<{ references: string[]; skipped?: string }> }> };
  assert.deepEqual(plan.images.map((image) => image.name), NAMES);
  const a311 = plan.images[0]!;
  assert.deepEqual(a311.entry, { python: '3.11', variant: 'cpu' });
  assert.deepEqual(a311.tags, ['py3.11-cpu', '0.3.0-py3.11-cpu']);
  assert.equal(a311.base.spec.release, 'bookworm');
  assert.equal(plan.images[2]!.base.spec.release, 'trixie');
  assert.deepEqual(a311.destinations.flatMap((d) => d.references), [
    `docker://${one.host}/kiln/server-a:py3.11-cpu`, `docker://${one.host}/kiln/server-a:0.3.0-py3.11-cpu`,
    `docker://${two.host}/kiln/server-a:py3.11-cpu`, `docker://${two.host}/kiln/server-a:0.3.0-py3.11-cpu`,
  ]);
  assert.ok(!planned.stdout.includes(two.password), 'secrets never appear in the plan');

  // Build natively and push all 8 to both registries.
  const started = performance.now();
  const built = await runKiln(['build', project, '-o', `oci:${work}/layout`, '--push', '--jobs', '2', '--json'], { env });
  t.diagnostic(`8 entries built and pushed to 2 registries in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(built.code, 0, built.stderr);
  const report = JSON.parse(built.stdout) as { entries: Array<{ name: string; status: string; digest: string }>; published: Array<{ name: string; registry: string; status: string }> };
  assert.deepEqual(report.entries.map((e) => [e.name, e.status]), NAMES.map((name) => [name, 'built']));
  assert.equal(new Set(report.entries.map((e) => e.digest)).size, 8, 'eight different images');
  assert.deepEqual(report.published.map((p) => p.status), Array(16).fill('pushed'));
  for (const repository of ['kiln/server-a', 'kiln/server-b']) {
    assert.deepEqual(await tagsOf(one, repository), TAGS);
    assert.deepEqual(await tagsOf(two, repository, true), TAGS);
    const referrers = (await allTagsOf(one, repository)).filter((tag) => REFERRERS_TAG.test(tag));
    assert.equal(referrers.length, 4, `each of ${repository}'s four images has its SBOM's referrers tag`);
  }
  const lock = await readFile(join(project, 'kiln.lock'), 'utf8');
  for (const name of NAMES) assert.ok(lock.includes(`"${name}"`), `kiln.lock has ${name}`);

  // Two entries run under Docker, pulled from the registry, and answer with their server, Python and variant.
  if (await requireTool(t, 'docker')) {
    for (const [image, expected] of [
      [`${one.host}/kiln/server-a:py3.11-cpu`, { server: 'server-a', python: '3.11', device: 'cpu' }],
      [`${one.host}/kiln/server-b:py3.13-gpu`, { server: 'server-b', python: '3.13', device: 'cuda' }],
    ] as const) {
      await sh('docker', ['pull', '-q', image]);
      const port = await freePort();
      const id = (await sh('docker', ['run', '-d', '--rm', '-p', `127.0.0.1:${port}:8080`, image])).trim();
      try {
        const response = await httpGetWithRetry(`http://127.0.0.1:${port}/`);
        assert.deepEqual(JSON.parse(response.body), expected);
      } finally {
        await sh('docker', ['rm', '-f', id]).catch(() => undefined);
        await sh('docker', ['rmi', image]).catch(() => undefined);
      }
    }
  }

  // A broken entry (its app dir is missing) fails alone; nothing is tagged without --partial.
  const broken = join(work, 'broken');
  await cp(project, broken, { recursive: true });
  const text = matrixManifest([{ name: 'three', host: three.host }]).replace(
    '        set: { env: { DEVICE: cuda }, labels: { accelerator: nvidia } }\n',
    '        set: { env: { DEVICE: cuda }, labels: { accelerator: nvidia } }\n      - when: { python: "3.13", variant: gpu }\n        set: { app: { src: missing } }\n',
  );
  await writeFile(join(broken, 'kiln.yaml'), text);
  const held = await runKiln(['build', broken, '-o', `oci:${work}/broken-layout`, '--push'], { env });
  assert.notEqual(held.code, 0);
  assert.match(held.stdout, /server-a\/3\.13-gpu\s+failed/);
  assert.equal(held.stdout.match(/\sbuilt\s/g)?.length, 7, held.stdout);
  assert.match(held.stdout, /server-a\/3\.13-gpu: app source .*\/broken\/missing is not a directory/);
  assert.match(held.stderr, /nothing pushed: 1 of 8 entries did not build \(use --partial/);
  assert.match(held.stderr.trim().split('\n').at(-1)!, /^kiln: 1 of 8 entries failed: server-a\/3\.13-gpu \(.+\)$/);
  assert.deepEqual(await tagsOf(three, 'kiln/server-a'), []);
  const partial = await runKiln(['push', broken, '--partial', '--only', 'server-a'], { env });
  assert.notEqual(partial.code, 0);
  assert.deepEqual(await tagsOf(three, 'kiln/server-a'), TAGS.filter((tag) => !tag.endsWith('py3.13-gpu')));
  assert.deepEqual(await tagsOf(three, 'kiln/server-b'), [], '--only server-a leaves server-b alone');

  // Immutable tags: re-pushing the same image is fine, a changed one is refused and its tags stay put.
  await writeFile(join(broken, 'kiln.yaml'), text.replace(/( {2}server-a:\n)/, '$1    immutable_tags: true\n'));
  const same = await runKiln(['push', broken, '--only', 'server-a/3.11-cpu'], { env });
  assert.equal(same.code, 0, same.stderr);
  await writeFile(join(broken, 'server-a/server.py'), matrixServer('server-a') + '# changed\n');
  // push publishes what the last build produced: the edit reaches the registry only once it is built.
  const unchanged = await runKiln(['push', broken, '--only', 'server-a/3.11-cpu'], { env });
  assert.equal(unchanged.code, 0, unchanged.stderr);
  const rebuilt = await runKiln(['build', broken, '--only', 'server-a/3.11-cpu', '-q', '-o', `oci:${work}/broken-layout`], { env });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const moved = await runKiln(['push', broken, '--only', 'server-a/3.11-cpu'], { env });
  assert.notEqual(moved.code, 0);
  assert.match(moved.stdout, new RegExp(`${three.host.replace('.', '\\.')}/kiln/server-a:py3\\.11-cpu is immutable and already names sha256:`));
});
