// Replacing a tag in an OCI layout removes the blobs only the replaced image (and its SBOM) held, and nothing else;
// a writer waiting for the index lock puts back a blob another writer's clean-up removed meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { artifactsFor } from '../oci/artifact.js';
import { sha256 } from '../oci/digest.js';
import type { Image } from '../oci/image.js';
import { validateImage } from '../oci/validate.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readOciLayout, writeOciLayout, writeOciReferrers } from './oci-layout.js';

async function blobsOf(image: Image): Promise<string[]> {
  const manifest = await image.manifest();
  return [await image.digest(), manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)];
}

const file = (layout: string, digest: string): string => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
const stored = async (layout: string): Promise<string[]> => (await readdir(join(layout, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`).sort();

test('a tag moved to a new image takes the old image\'s own blobs and SBOM with it; shared, still-tagged and foreign blobs stay', async () => {
  const store = await tempStore();
  const layout = join(await tempDir(), 'layout');
  const base = { 'etc/base.txt': 'the base layer both images share\n' };
  const first = await imageWithLayers(store, base, { 'app/server.py': 'one\n' });
  const second = await imageWithLayers(store, base, { 'app/server.py': 'two\n' });
  const third = await imageWithLayers(store, base, { 'app/server.py': 'three\n' });
  const sbom = (image: Image, text: string) => artifactsFor(image, [{ mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from(text), annotations: {} }]);

  await writeOciLayout(layout, first, 'latest');
  const firstSbom = await sbom(first, 'first');
  await writeOciReferrers(layout, firstSbom);
  // A blob no entry ever reached (another tool's, say) is not kiln's to remove.
  const stray = Buffer.from('not referenced by anything\n');
  await writeFile(file(layout, sha256(stray)), stray);

  await writeOciLayout(layout, second, 'latest');
  await writeOciReferrers(layout, await sbom(second, 'second'));
  const old = [...new Set([...(await blobsOf(first)), ...(await blobsOf(firstSbom[0]!))])];
  const kept = new Set([...(await blobsOf(second)), ...(await blobsOf((await sbom(second, 'second'))[0]!)), sha256(stray)]);
  assert.ok(old.filter((digest) => !kept.has(digest)).length >= 5, 'the old manifest, config, app layer and SBOM manifest and document');
  for (const digest of old) assert.equal(existsSync(file(layout, digest)), kept.has(digest), `${digest}: ${kept.has(digest) ? 'shared, kept' : 'only the old image\'s, removed'}`);
  assert.deepEqual(await stored(layout), [...kept].sort(), 'exactly the new image, its SBOM and the stray blob');
  await validateImage(await readOciLayout(layout, 'latest'), `${layout}:latest`);

  // An image another tag still names keeps every blob when its first tag moves on.
  await writeOciLayout(layout, second, 'stable');
  await writeOciLayout(layout, third, 'latest');
  for (const digest of await blobsOf(second)) assert.ok(existsSync(file(layout, digest)), `${digest} is still tagged stable`);
  await validateImage(await readOciLayout(layout, 'stable'), `${layout}:stable`);
  await validateImage(await readOciLayout(layout, 'latest'), `${layout}:latest`);
});

test('a writer waiting for the index lock puts back a blob removed after it found it present', async () => {
  const store = await tempStore();
  const layout = join(await tempDir(), 'layout');
  const base = { 'etc/base.txt': 'shared\n' };
  const first = await imageWithLayers(store, base, { 'app/a': '1\n' });
  const next = await imageWithLayers(store, base, { 'app/a': '2\n' });
  await writeOciLayout(layout, first, 'latest');
  // Another kiln holds the lock (this process, so it counts as alive) while this writer copies its blobs.
  const lock = join(layout, 'index.json.lock');
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'held-by-the-test' }));
  const writing = writeOciLayout(layout, next, 'v2');
  const manifestFile = file(layout, await next.digest());
  while (!existsSync(manifestFile)) await sleep(10);
  // What the holder's clean-up would do: remove a blob the waiting writer found present (the shared base layer).
  const shared = (await next.manifest()).layers[0]!.digest;
  await rm(file(layout, shared));
  await rm(lock);
  await writing;
  assert.ok(existsSync(file(layout, shared)), 'put back under the lock');
  await validateImage(await readOciLayout(layout, 'v2'), `${layout}:v2`);
  await validateImage(await readOciLayout(layout, 'latest'), `${layout}:latest`);
});
