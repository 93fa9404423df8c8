import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactsFor, type Attachment } from '../oci/artifact.js';
import type { Index } from '../oci/spec.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readOciLayout, readOciReferrers, writeOciLayout, writeOciReferrers } from './oci-layout.js';

function sbom(text: string): Attachment {
  return { mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from(text), annotations: {} };
}

async function indexOf(layout: string): Promise<Index> {
  return JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
}

test('a layout keeps an SBOM untagged beside its image; when the tag moves to a new image, the old SBOM entry goes too', async () => {
  const store = await tempStore();
  const layout = join(await tempDir(), 'layout');
  const first = await imageWithLayers(store, { 'app/a.txt': 'one' });
  const second = await imageWithLayers(store, { 'app/a.txt': 'two' });
  const other = await imageWithLayers(store, { 'app/b.txt': 'other' });

  await writeOciLayout(layout, first, 'v1');
  const [firstSbom] = await writeOciReferrers(layout, await artifactsFor(first, [sbom('first')]));
  await writeOciReferrers(layout, await artifactsFor(first, [sbom('first')]));
  await writeOciLayout(layout, other, 'other');
  const [otherSbom] = await writeOciReferrers(layout, await artifactsFor(other, [sbom('other')]));
  assert.deepEqual((await indexOf(layout)).manifests.map((m) => m.digest), [await first.digest(), firstSbom!.digest, await other.digest(), otherSbom!.digest], 'the same SBOM twice is one entry');
  assert.deepEqual(await readOciReferrers(layout, await first.digest()), [firstSbom]);

  await writeOciLayout(layout, second, 'v1');
  const [secondSbom] = await writeOciReferrers(layout, await artifactsFor(second, [sbom('second')]));
  assert.deepEqual((await indexOf(layout)).manifests.map((m) => m.digest), [await second.digest(), await other.digest(), otherSbom!.digest, secondSbom!.digest]);
  assert.deepEqual(await readOciReferrers(layout, await second.digest()), [secondSbom]);
  assert.equal(await (await readOciLayout(layout, 'v1')).digest(), await second.digest());
});

test('an untagged layout opens its image, not the SBOM beside it', async () => {
  const store = await tempStore();
  const layout = join(await tempDir(), 'layout');
  const image = await imageWithLayers(store, { 'app/a.txt': 'one' });
  await writeOciLayout(layout, image);
  await writeOciReferrers(layout, await artifactsFor(image, [sbom('{}')]));
  assert.equal((await indexOf(layout)).manifests.length, 2);
  assert.equal(await (await readOciLayout(layout)).digest(), await image.digest());
});
