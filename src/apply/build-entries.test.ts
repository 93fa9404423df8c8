import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { buildHistory, findBuild } from '../cache/build-records.js';
import { imageWithLayers, tempDir } from '../testing/images.js';
import { reportImage } from './build-image.js';
import { buildEntries } from './build-entries.js';
import { planBuild } from '../plan/index.js';
import { outputPublisher } from './publish.js';
import type { ProgressEvent } from '../progress.js';

async function project(parts: string[]): Promise<string> {
  const dir = await tempDir();
  for (const part of parts.filter((p) => p !== 'missing')) {
    await mkdir(join(dir, part), { recursive: true });
    await writeFile(join(dir, part, 'file.txt'), `${part}\n`);
  }
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  demo:',
    '    base: scratch',
    '    app: { src: "{part}" }',
    `    matrix: { part: [${parts.join(', ')}] }`,
    '    outputs: ["oci:out/layout"]',
    '',
  ].join('\n'));
  return dir;
}

async function run(dir: string, options: { jobs: number; failFast?: boolean }) {
  const plan = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {} });
  const lines: string[] = [];
  const context = { store: new BlobStore(join(dir, 'cache')), env: {}, log: (line: string) => lines.push(line) };
  const results = await buildEntries(plan, context, { ...options, publisher: outputPublisher(context) });
  return results.map((r) => [r.name, r.status]);
}

test('one failed entry does not stop the others; all entries land in one shared OCI layout', async () => {
  const dir = await project(['a', 'missing', 'c', 'd']);
  assert.deepEqual(await run(dir, { jobs: 3 }), [['demo/a', 'built'], ['demo/missing', 'failed'], ['demo/c', 'built'], ['demo/d', 'built']]);
  // Three writers at once into one layout: every tag survives (index.json has one writer at a time).
  const index = JSON.parse(await readFile(join(dir, 'out/layout/index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
  assert.deepEqual(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['demo-a', 'demo-c', 'demo-d']);
});

test('--fail-fast starts nothing after the first failure', async () => {
  const dir = await project(['missing', 'b', 'c']);
  assert.deepEqual(await run(dir, { jobs: 1, failFast: true }), [['demo/missing', 'failed'], ['demo/b', 'cancelled'], ['demo/c', 'cancelled']]);
});

test('a builder hands over an Image; the publisher writes exactly that image, and the cache records it for push', async () => {
  const dir = await project(['a']);
  const plan = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {} });
  const store = new BlobStore(join(dir, 'cache'));
  const image = await imageWithLayers(store, { 'built/by/another/builder': 'x' });
  const effects: string[] = [];
  const results = await buildEntries(plan, { store, env: {}, log: () => undefined }, {
    builder: async (entry) => {
      effects.push(`build ${entry.name}`);
      return { image, report: await reportImage(entry.name, image, [], store) };
    },
    publisher: async (entry, handed) => {
      effects.push(`publish ${entry.name} ${await handed.digest()}`);
      return ['oci:somewhere'];
    },
  });
  const digest = await image.digest();
  assert.deepEqual(effects, ['build demo/a', `publish demo/a ${digest}`]);
  assert.deepEqual(results.map((r) => [r.status, r.report?.digest, r.report?.outputs]), [['built', digest, ['oci:somewhere']]]);
  assert.equal((await findBuild(store, { manifestFile: plan.manifestFile, name: 'demo/a' }))?.digest, digest);
  // The build's sizes (from its report) go into the entry's history, for kiln report's chart.
  const history = await buildHistory(store, { manifestFile: plan.manifestFile, name: 'demo/a' });
  assert.deepEqual(history.map((entry) => [entry.digest, entry.size, entry.unpackedSize]), [[digest, results[0]!.report!.size, results[0]!.report!.unpackedSize]]);
  assert.ok(history[0]!.seconds >= 0 && history[0]!.seconds <= results[0]!.seconds);
});

test('an entry whose pinned inputs are unchanged takes its image from the cache; an app edit builds anew', async () => {
  const dir = await project(['a']);
  const store = new BlobStore(join(dir, 'cache'));
  const { resolvePlan } = await import('../resolve/index.js');
  const build = async () => {
    const intent = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {} });
    const { plan } = await resolvePlan(intent, { store, env: {} });
    const lines: string[] = [];
    const context = { store, env: {}, log: (line: string) => lines.push(line) };
    const [result] = await buildEntries(plan, context, { publisher: outputPublisher(context) });
    return { digest: result!.report!.digest, recalled: lines.some((line) => line.includes('inputs unchanged')) };
  };
  const first = await build();
  assert.deepEqual(await build(), { digest: first.digest, recalled: true });
  await writeFile(join(dir, 'a', 'file.txt'), 'edited\n');
  const edited = await build();
  assert.equal(edited.recalled, false);
  assert.notEqual(edited.digest, first.digest);
  // A recalled image is verified present: with a layer gone from the cache it is assembled again.
  const { rm } = await import('node:fs/promises');
  const index = JSON.parse(await readFile(join(dir, 'out/layout/index.json'), 'utf8')) as { manifests: Array<{ digest: `sha256:${string}` }> };
  const manifest = JSON.parse((await store.read(index.manifests.at(-1)!.digest)).toString()) as { layers: Array<{ digest: `sha256:${string}` }> };
  await rm(store.path(manifest.layers.at(-1)!.digest));
  assert.deepEqual(await build(), { digest: edited.digest, recalled: false });
});

test('a real build emits fetch, extract and compress events whose done climbs to total within each task', async () => {
  const { createAptRepo } = await import('../testing/apt-repo.js');
  const { randomBytes } = await import('node:crypto');
  const basics = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' }));
  // Incompressible bytes, so the layers are big enough to take more than one chunk.
  const repo = await createAptRepo({
    suite: 'bookworm',
    packages: [...basics, { name: 'hello', version: '1.0-1', files: { 'usr/share/hello/data.bin': randomBytes(600_000) } }],
    suites: [{ suite: 'bookworm-updates', packages: [] }, { suite: 'bookworm-security', packages: [] }],
  });
  try {
    const dir = await tempDir();
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app', 'blob.bin'), randomBytes(300_000));
    await writeFile(join(dir, 'kiln.yaml'), [
      'images:',
      '  hello:',
      `    base: {distro: debian, release: bookworm, packages: [hello], mirror: "${repo.url}", security_mirror: "${repo.url}", keyring: "${repo.keyring}"}`,
      '    app: { src: app }',
      '',
    ].join('\n'));
    const plan = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {} });
    const events: ProgressEvent[] = [];
    const results = await buildEntries(plan, { store: new BlobStore(join(dir, 'cache')), env: {}, log: () => undefined, progress: (event) => events.push(event) });
    assert.deepEqual(results.map((r) => [r.name, r.status, r.error]), [['hello', 'built', undefined]]);
    const tasks = new Map<string, ProgressEvent[]>();
    for (const event of events) {
      const key = `${event.entry} ${event.stage} ${event.what}`;
      tasks.set(key, [...(tasks.get(key) ?? []), event]);
    }
    // Base layers compress side by side, so only the stages' order is fixed.
    assert.deepEqual([...tasks.keys()].sort(), [
      'hello compress app layer', 'hello compress layer core', 'hello compress layer kiln', 'hello compress layer rest', 'hello extract 5 .debs', 'hello fetch 5 .debs',
    ]);
    assert.deepEqual([...new Set(events.map((event) => event.stage))], ['fetch', 'extract', 'compress']);
    for (const [key, list] of tasks) {
      for (const [i, event] of list.entries()) {
        assert.ok(event.done <= event.total, `${key}: ${event.done} <= ${event.total}`);
        if (i) assert.ok(event.done >= list[i - 1]!.done, `${key}: done never goes down`);
      }
      assert.equal(list.at(-1)!.done, list.at(-1)!.total, `${key} ends complete`);
      assert.ok(list.slice(0, -1).every((event) => event.done < event.total), `${key}: only the last event is complete`);
      assert.ok(list.length >= 2, `${key} has a start and an end`);
    }
    const debBytes = tasks.get('hello fetch 5 .debs')!.at(-1)!.total;
    assert.ok(debBytes > 600_000, `the .debs' bytes are counted (${debBytes})`);
    assert.ok(tasks.get('hello compress app layer')!.at(-1)!.total > 300_000);
    assert.ok(tasks.get('hello compress app layer')!.length > 3, 'the app layer reports while it compresses');
  } finally {
    await repo.close();
  }
});
