import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withConfig } from './mutate.js';
import { artifactsFor } from './artifact.js';
import { indexFromImages, isImageIndex, selectChild, type PlatformImage } from './image-index.js';
import { MediaType } from './media-types.js';
import { sha256 } from './digest.js';
import type { Index } from './spec.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readImage, writeImage, writeReferrers } from '../places/index.js';
import { readOciReferrers } from '../places/oci-layout.js';
import { recordBuild, storedAttachments, storedBuild, findBuild } from '../cache/build-records.js';
import type { BlobStore } from '../cache/blob-store.js';

async function twoPlatforms(store: BlobStore): Promise<PlatformImage[]> {
  const children: PlatformImage[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const image = await withConfig(await imageWithLayers(store, { 'etc/arch': `${architecture}\n` }, { 'app/main.py': 'print(1)\n' }), (config) => {
      config.architecture = architecture;
    });
    children.push({ platform: { os: 'linux', architecture }, image });
  }
  return children;
}

test('indexFromImages lists each child by digest with its platform, in order; the digest is the bytes\'', async () => {
  const store = await tempStore();
  const children = await twoPlatforms(store);
  const index = indexFromImages(children, { 'org.opencontainers.image.title': 'web' });
  assert.ok(isImageIndex(index));
  assert.ok(!isImageIndex(children[0]!.image));
  const parsed = await index.index();
  assert.equal(parsed.mediaType, MediaType.ociIndex);
  assert.deepEqual(parsed.manifests, await Promise.all(children.map(async ({ platform, image }) => ({
    mediaType: MediaType.ociManifest, digest: await image.digest(), size: (await image.rawManifest()).length, platform,
  }))));
  assert.deepEqual(parsed.annotations, { 'org.opencontainers.image.title': 'web' });
  assert.equal(await index.digest(), sha256(await index.rawManifest()));
  assert.equal((await selectChild(index, { os: 'linux', architecture: 'arm64' }))?.image, children[1]!.image);
  assert.equal(await selectChild(index, { os: 'linux', architecture: 's390x' }), undefined);
});

test('an index in an oci: layout: the tag names the index, each platform reads back, children\'s SBOMs stay', async () => {
  const store = await tempStore();
  const children = await twoPlatforms(store);
  const index = indexFromImages(children);
  const dir = join(await tempDir(), 'layout');
  await writeImage(`oci:${dir}:web`, index, { store });
  const top = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(top.manifests.map((m) => [m.mediaType, m.digest]), [[MediaType.ociIndex, await index.digest()]]);
  for (const { platform, image } of children) {
    assert.equal(await (await readImage(`oci:${dir}:web`, { store, platform })).digest(), await image.digest());
  }
  // Each platform's SBOM refers to its child, which index.json does not list itself: it must not count as an orphan.
  const attachments = await Promise.all(children.map(async ({ image, platform }) => ({
    mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from(`{"arch":"${platform.architecture}"}`), annotations: {}, subject: await image.digest(),
  })));
  const artifacts = await artifactsFor(index, attachments);
  assert.deepEqual(await Promise.all(artifacts.map(async (a) => (await a.manifest()).subject?.digest)), await Promise.all(children.map(({ image }) => image.digest())));
  await writeReferrers(`oci:${dir}:web`, artifacts, { store });
  for (const [i, { image }] of children.entries()) {
    assert.deepEqual((await readOciReferrers(dir, await image.digest())).map((d) => d.digest), [await artifacts[i]!.digest()]);
  }
});

test('a docker-archive takes one platform of an index: the one asked for, and says which; a missing one fails in one line', async () => {
  const store = await tempStore();
  const children = await twoPlatforms(store);
  const index = indexFromImages(children);
  const work = await tempDir();
  const written = await writeImage(`docker-archive:${work}/web.tar:web:1`, index, { store, platform: { os: 'linux', architecture: 'arm64' } });
  assert.equal(written.platform, 'linux/arm64');
  assert.equal(written.digest, await children[1]!.image.digest());
  assert.equal(await (await readImage(`docker-archive:${work}/web.tar`, { store })).digest(), await children[1]!.image.digest());
  await assert.rejects(writeImage(`docker-archive:${work}/x.tar`, index, { store, platform: { os: 'linux', architecture: 's390x' } }),
    /a docker-archive holds one platform and the index has no linux\/s390x \(it has linux\/amd64, linux\/arm64\): pick one with --platform/);
});

test('a recorded index reads back from the cache with every child and each platform\'s attachment', async () => {
  const store = await tempStore();
  const children = await twoPlatforms(store);
  const index = indexFromImages(children, { 'org.opencontainers.image.title': 'web' });
  const subject = await children[1]!.image.digest();
  const attachment = { mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from('{}'), annotations: {}, subject };
  const key = { manifestFile: '/x/kiln.yaml', name: 'web' };
  await recordBuild(store, key, index, [attachment]);
  const record = (await findBuild(store, key))!;
  assert.equal(record.digest, await index.digest());
  const back = await storedBuild(store, record.digest);
  assert.ok(isImageIndex(back));
  assert.equal(await back.digest(), await index.digest());
  assert.deepEqual(await Promise.all((await back.children()).map((c) => c.image.digest())), await Promise.all(children.map((c) => c.image.digest())));
  assert.deepEqual(await storedAttachments(store, record), [attachment]);
});
