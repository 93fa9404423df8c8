import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { UsageError } from '../errors.js';
import { artifactsFor, type Attachment } from '../oci/artifact.js';
import type { Digest } from '../oci/digest.js';
import { Registries } from '../registry/registries.js';
import { referrersTag } from '../registry/referrers.js';
import { testImagePlan } from '../testing/plans.js';
import { busyboxImage } from '../testing/registry-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { publishEntries } from './publish.js';
import { parseBuiltDigests, tagEntries } from './tag.js';

let registry: TestRegistry;
let work: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-tag-'));
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const SBOM: Attachment = {
  mediaType: 'application/vnd.cyclonedx+json',
  data: Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}\n'),
  annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' },
};

function entryFor(name: string, repository: string, tags: string[]) {
  return testImagePlan({
    name, publish: true, tags,
    destinations: [{ registry: 'local', repository: `${registry.host}/${repository}`, references: tags.map((tag) => `docker://${registry.host}/${repository}:${tag}`), insecure: true }],
  });
}

test('parseBuiltDigests reads NAME@DIGEST words, several per argument, and refuses anything else', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  assert.deepEqual([...parseBuiltDigests([`server/py3.11@${a}\nother@${b}\n`, `server/py3.11@${a}`])], [['server/py3.11', a], ['other', b]]);
  assert.throws(() => parseBuiltDigests(['server']), UsageError);
  assert.throws(() => parseBuiltDigests([`@${a}`]), UsageError);
  assert.throws(() => parseBuiltDigests([`x@${a}`, `x@${b}`]), /two digests/);
});

test('by digest, nothing is tagged but the referrers index; kiln tag writes every tag only once every manifest is there', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: () => undefined };
  const client = new Registries({ insecure: [registry.host] }).client(registry.host);
  const one = entryFor('one', 'wf/one', ['v1', 'latest']);
  const two = entryFor('two', 'wf/two', ['v1']);
  const [imageOne, imageTwo] = [await busyboxImage(store, 'one'), await busyboxImage(store, 'two')];
  const [digestOne, digestTwo] = [await imageOne.digest(), await imageTwo.digest()];

  const uploaded = await publishEntries([{ entry: one, image: imageOne, attachments: [SBOM] }], context, { byDigest: true });
  assert.deepEqual(uploaded.map((r) => [r.name, r.status, r.references]), [['one', 'uploaded', [`${registry.host}/wf/one@${digestOne}`]]]);
  assert.equal(await client.headManifest('wf/one', digestOne), digestOne);
  assert.equal(await client.headManifest('wf/one', 'v1'), undefined, 'no tag by digest');
  const [artifact] = await artifactsFor(imageOne, [SBOM]);
  assert.equal(await client.headManifest('wf/one', referrersTag(digestOne)) !== undefined, true, 'this registry has no referrers API: the referrers tag goes with the upload');
  assert.ok(artifact);

  // `two` has not been pushed yet: its digest is named but absent, and `one` gets no tag either.
  const log: string[] = [];
  const early = await tagEntries([one, two], new Map([['one', digestOne], ['two', digestTwo]]), { env: context.env, log: (line) => log.push(line) });
  assert.deepEqual(early.map((r) => [r.name, r.status]), [['one', 'checked'], ['two', 'failed']]);
  assert.match(early[1]!.message ?? '', /manifest/);
  assert.equal(await client.headManifest('wf/one', 'v1'), undefined);

  await assert.rejects(tagEntries([one, two], new Map([['one', digestOne]]), context), /no digest for two/);
  await assert.rejects(tagEntries([one], new Map([['one', digestOne], ['three', digestTwo]]), context), /three: not an entry/);

  await publishEntries([{ entry: two, image: imageTwo }], context, { byDigest: true });
  const done = await tagEntries([one, two], new Map<string, Digest>([['one', digestOne], ['two', digestTwo]]), context);
  assert.deepEqual(done.map((r) => [r.name, r.status, r.references]), [
    ['one', 'tagged', [`${registry.host}/wf/one:v1`, `${registry.host}/wf/one:latest`]],
    ['two', 'tagged', [`${registry.host}/wf/two:v1`]],
  ]);
  assert.equal(await client.headManifest('wf/one', 'latest'), digestOne);
  assert.equal(await client.headManifest('wf/two', 'v1'), digestTwo);
});

test('kiln tag will not move an immutable tag', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const context = { store, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, log: () => undefined };
  const client = new Registries({ insecure: [registry.host] }).client(registry.host);
  const entry = { ...entryFor('fixed', 'wf/fixed', ['v1']), immutableTags: true };
  const [first, second] = [await busyboxImage(store, 'first'), await busyboxImage(store, 'second')];
  await publishEntries([{ entry, image: first }], context);
  const refused = await publishEntries([{ entry, image: second }], context, { byDigest: true });
  assert.match(refused[0]!.message ?? '', /immutable/, 'the upload checks first, as a tagged push does');
  // Uploaded by a plan without the rule, the tag step still refuses.
  await publishEntries([{ entry: { ...entry, immutableTags: false }, image: second }], context, { byDigest: true });
  const results = await tagEntries([entry], new Map([['fixed', await second.digest()]]), context);
  assert.equal(results[0]!.status, 'failed');
  assert.match(results[0]!.message ?? '', /immutable/);
  assert.equal(await client.headManifest('wf/fixed', 'v1'), await first.digest());
});
