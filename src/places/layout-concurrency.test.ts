import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { tempDir } from '../testing/images.js';
import { validateImage } from '../oci/validate.js';
import { readOciLayout, writeOciLayout } from './oci-layout.js';
import { imageWithLayers } from '../testing/images.js';

const CHILD = fileURLToPath(new URL('../testing/write-layout-child.ts', import.meta.url));

interface Child {
  ready: Promise<void>;
  go(): void;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      resolve({ code: code ?? 1, stdout: stdout.replace(/^ready\n/, ''), stderr });
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

async function writeConcurrently(layout: string, store: string, tags: string[]): Promise<Map<string, string>> {
  // Children start up at different speeds: all of them wait until every one is ready, so their writes overlap.
  const children = tags.map((tag) => startChild([store, layout, tag]));
  await Promise.all(children.map((child) => child.ready));
  for (const child of children) child.go();
  const results = await Promise.all(children.map((child) => child.done));
  const digests = new Map<string, string>();
  for (const [i, result] of results.entries()) {
    assert.equal(result.code, 0, `writer ${tags[i]}: ${result.stderr}`);
    digests.set(tags[i]!, result.stdout.trim());
  }
  return digests;
}

async function assertLayoutHolds(layout: string, digests: Map<string, string>, store: BlobStore): Promise<void> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort();
  assert.deepEqual(tags, [...digests.keys()].sort(), 'every tag is in index.json, once');
  for (const [tag, digest] of digests) {
    const image = await readOciLayout(layout, tag);
    assert.equal(await image.digest(), digest);
    await validateImage(image, `${layout}:${tag}`);
  }
  void store;
  const leftovers = (await readdir(layout)).filter((name) => name !== 'blobs' && name !== 'index.json' && name !== 'oci-layout');
  assert.deepEqual(leftovers, [], 'no lock or temp files left in the layout');
}

test('8 processes writing different tags into one new OCI layout: every tag kept, every blob valid', { timeout: 300_000 }, async () => {
  for (let round = 0; round < 3; round++) {
    const work = await tempDir();
    const layout = join(work, 'layout');
    const tags = Array.from({ length: 8 }, (_, i) => `r${round}-t${i}`);
    const digests = await writeConcurrently(layout, join(work, 'cache'), tags);
    await assertLayoutHolds(layout, digests, new BlobStore(join(work, 'cache')));
    assert.deepEqual((await readdir(work)).sort(), ['cache', 'layout'], 'no temp layouts left beside it');
  }
});

test('8 processes adding tags to an existing OCI layout keep every tag, and the tag already there', { timeout: 300_000 }, async () => {
  const work = await tempDir();
  const layout = join(work, 'layout');
  const store = new BlobStore(join(work, 'cache'));
  const first = await imageWithLayers(store, { 'etc/first': '1\n' });
  await writeOciLayout(layout, first, 'first');
  const tags = Array.from({ length: 8 }, (_, i) => `t${i}`);
  const digests = await writeConcurrently(layout, join(work, 'cache'), tags);
  digests.set('first', await first.digest());
  await assertLayoutHolds(layout, digests, store);
});
