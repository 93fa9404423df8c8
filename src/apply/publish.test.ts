import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { artifactsFor, type Attachment } from '../oci/artifact.js';
import { Registries } from '../registry/registries.js';
import { referrersTag } from '../registry/referrers.js';
import { testImagePlan } from '../testing/plans.js';
import { busyboxImage } from '../testing/registry-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { publishEntries } from './publish.js';

let open: TestRegistry;
let locked: TestRegistry;
let work: string;

before(async () => {
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ auth: 'htpasswd' })]);
  work = await mkdtemp(join(tmpdir(), 'kiln-publish-'));
});
after(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  await rm(work, { recursive: true, force: true });
});

const SBOM: Attachment = {
  mediaType: 'application/vnd.cyclonedx+json',
  data: Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}\n'),
  annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' },
};

test('the referrers tag is a tag: held back with the others when a registry fails, written with them under --partial', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const image = await busyboxImage(store, 'held back');
  const digest = await image.digest();
  const [artifact] = await artifactsFor(image, [SBOM]);
  const destination = (registry: TestRegistry, name: string) => ({
    registry: name, repository: `${registry.host}/held/demo`, references: [`docker://${registry.host}/held/demo:v1`], insecure: true,
  });
  // The locked registry wants a password nobody gives: its upload fails at once.
  const entry = testImagePlan({ publish: true, destinations: [destination(open, 'open'), destination(locked, 'locked')] });
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: () => undefined };
  const client = new Registries().client(open.host);

  const held = await publishEntries([{ entry, image, attachments: [SBOM] }], context);
  assert.deepEqual(held.map((r) => [r.registry, r.status]), [['open', 'uploaded'], ['locked', 'failed']]);
  assert.deepEqual(held[0]!.referrers, [`${open.host}/held/demo@${await artifact!.digest()}`]);
  assert.equal(await client.headManifest('held/demo', await artifact!.digest()), await artifact!.digest(), 'the artifact is uploaded by digest');
  assert.equal(await client.headManifest('held/demo', 'v1'), undefined, 'no image tag');
  assert.equal(await client.headManifest('held/demo', referrersTag(digest)), undefined, 'no referrers tag either');

  const partial = await publishEntries([{ entry, image, attachments: [SBOM] }], context, { partial: true });
  assert.deepEqual(partial.map((r) => [r.registry, r.status]), [['open', 'pushed'], ['locked', 'failed']]);
  assert.equal(await client.headManifest('held/demo', 'v1'), digest);
  assert.ok(await client.headManifest('held/demo', referrersTag(digest)), 'the referrers tag is written with the tags');
});
