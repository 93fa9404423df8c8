import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { artifactImage, EMPTY_DESCRIPTOR, type Attachment } from '../oci/artifact.js';
import { sha256, type Digest } from '../oci/digest.js';
import type { Image } from '../oci/image.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Index, Manifest } from '../oci/spec.js';
import { busyboxImage } from '../testing/registry-images.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { pushImage } from './push.js';
import { listReferrers, pushReferrers, referrersTag, updateReferrersTag, withReferrers } from './referrers.js';
import { Registries } from './registries.js';

const run = promisify(execFile);
const CYCLONEDX = 'application/vnd.cyclonedx+json';
let registry: TestRegistry;
let store: BlobStore;
let cacheDir: string;

before(async () => {
  registry = await startRegistry();
  cacheDir = await mkdtemp(join(tmpdir(), 'kiln-referrers-cache-'));
  store = new BlobStore(cacheDir);
});
after(async () => {
  await registry?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

async function subjectOf(image: Image): Promise<Descriptor> {
  const raw = await image.rawManifest();
  return { mediaType: MediaType.ociManifest, digest: sha256(raw), size: raw.length };
}

function sbom(text: string): Attachment {
  return { mediaType: CYCLONEDX, data: Buffer.from(`${text}\n`), annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' } };
}

async function skopeoRaw(reference: string): Promise<Buffer> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`], { encoding: 'buffer' });
  return stdout;
}

test('referrersTag follows the tag schema: algorithm-hex, hex cut to 64 characters', () => {
  assert.equal(referrersTag(`sha256:${'a'.repeat(64)}`), `sha256-${'a'.repeat(64)}`);
  assert.equal(referrersTag(`sha512:${'b'.repeat(128)}`), `sha512-${'b'.repeat(64)}`);
});

test('withReferrers appends each digest once and keeps what the index holds', () => {
  const one: Descriptor = { mediaType: MediaType.ociManifest, digest: `sha256:${'1'.repeat(64)}`, size: 1, artifactType: CYCLONEDX };
  const two: Descriptor = { ...one, digest: `sha256:${'2'.repeat(64)}` };
  const first = withReferrers(undefined, [one]);
  assert.deepEqual(first, { index: { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [one] }, changed: true });
  assert.deepEqual(withReferrers(first.index, [one]), { index: first.index, changed: false });
  assert.deepEqual(withReferrers({ ...first.index, annotations: { kept: 'yes' } }, [two, one]).index, { ...first.index, annotations: { kept: 'yes' }, manifests: [one, two] });
});

test('on distribution (no referrers API) an SBOM artifact goes up by digest and is listed under the sha256-<hex> tag, once', async () => {
  const image = await busyboxImage(store, 'with an sbom');
  const repository = `${registry.host}/kiln/referrers`;
  await pushImage(image, [`${repository}:v1`], { store });
  const subject = await subjectOf(image);
  const artifact = artifactImage(subject, sbom('{"bomFormat":"CycloneDX"}'));
  const artifactDigest = await artifact.digest();

  const pushed = await pushReferrers(repository, [artifact], { store });
  assert.deepEqual(pushed.references, [`${repository}@${artifactDigest}`]);
  assert.equal(pushed.untracked.length, 1, 'distribution 2.8 lists no referrers itself');
  const client = new Registries().client(registry.host);
  assert.deepEqual(await listReferrers(client, 'kiln/referrers', subject.digest), { descriptors: [], via: 'tag' }, 'nothing is listed before the tag is written');

  assert.equal(await updateReferrersTag(client, 'kiln/referrers', subject.digest, pushed.untracked), true);
  assert.equal(await updateReferrersTag(client, 'kiln/referrers', subject.digest, pushed.untracked), false, 'a second push of the same build writes nothing');

  const tagged = JSON.parse((await skopeoRaw(`${repository}:${referrersTag(subject.digest)}`)).toString('utf8')) as Index;
  assert.deepEqual(tagged, {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, digest: artifactDigest, size: (await artifact.rawManifest()).length, artifactType: CYCLONEDX, annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' } }],
  });
  const rawArtifact = await skopeoRaw(`${repository}@${artifactDigest}`);
  assert.equal(sha256(rawArtifact), artifactDigest, 'the registry keeps the artifact manifest byte for byte');
  const manifest = JSON.parse(rawArtifact.toString('utf8')) as Manifest;
  assert.deepEqual(manifest.subject, subject);
  assert.deepEqual(manifest.config, EMPTY_DESCRIPTOR);
  assert.equal(manifest.artifactType, CYCLONEDX);
  assert.deepEqual(manifest.layers.map((layer) => [layer.mediaType, layer.digest]), [[CYCLONEDX, sha256('{"bomFormat":"CycloneDX"}\n')]]);

  // A second, different artifact joins the list; the image tag still names the image.
  const other = artifactImage(subject, sbom('{"bomFormat":"CycloneDX","version":2}'));
  const again = await pushReferrers(repository, [other], { store });
  await updateReferrersTag(client, 'kiln/referrers', subject.digest, again.untracked);
  const listed = await listReferrers(client, 'kiln/referrers', subject.digest, CYCLONEDX);
  assert.deepEqual(listed.descriptors.map((d) => d.digest), [artifactDigest, await other.digest()]);
  assert.equal(listed.via, 'tag');
  assert.equal(sha256(await skopeoRaw(`${repository}:v1`)), subject.digest);
});

test('the same artifact is the same bytes: a fixed subject and attachment give one digest', async () => {
  const subject: Descriptor = { mediaType: MediaType.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 500 };
  const a = artifactImage(subject, sbom('{}'));
  const b = artifactImage(subject, sbom('{}'));
  assert.equal(await a.digest(), await b.digest());
  assert.equal((await a.rawManifest()).toString('utf8'), JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: CYCLONEDX,
    config: { mediaType: MediaType.ociEmpty, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2, data: 'e30=' },
    layers: [{ mediaType: CYCLONEDX, digest: sha256('{}\n'), size: 3 }],
    subject,
    annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' },
  }));
});

// Fault injection: distribution has no referrers API, so a proxy in front of it plays one that does, to check
// that kiln then writes no referrers tag. Everything else reaches the real registry.
interface ReferrersProxy { host: string; referrerGets: number; close(): Promise<void> }

async function referrersProxy(upstream: string, mode: 'oci-subject-header' | 'referrers-api'): Promise<ReferrersProxy> {
  const [hostname, port] = upstream.split(':');
  const listed = new Map<string, Descriptor[]>();
  const proxy: ReferrersProxy = { host: '', referrerGets: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const referrers = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})/.exec(req.url ?? '');
    if (req.method === 'GET' && referrers) {
      proxy.referrerGets++;
      const body: Index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: listed.get(referrers[2]!) ?? [] };
      res.writeHead(200, { 'content-type': MediaType.ociIndex }).end(JSON.stringify(body));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstreamRequest = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const headers = { ...answer.headers };
        const manifest = req.method === 'PUT' && /\/manifests\//.test(req.url ?? '') && answer.statusCode === 201 ? JSON.parse(body.toString('utf8')) as Manifest : undefined;
        if (manifest?.subject) {
          const digest = sha256(body);
          listed.set(manifest.subject.digest, [...(listed.get(manifest.subject.digest) ?? []), { mediaType: MediaType.ociManifest, digest, size: body.length, artifactType: manifest.artifactType! }]);
          if (mode === 'oci-subject-header') headers['oci-subject'] = manifest.subject.digest;
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      });
      upstreamRequest.on('error', () => res.destroy());
      upstreamRequest.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}

for (const mode of ['oci-subject-header', 'referrers-api'] as const) {
  test(`a registry that lists referrers itself (${mode}) gets no referrers tag, and kiln reads the list from its API`, async () => {
    const proxy = await referrersProxy(registry.host, mode);
    try {
      const image = await busyboxImage(store, `tracked by ${mode}`);
      const repository = `${proxy.host}/kiln/tracked-${mode}`;
      await pushImage(image, [`${repository}:v1`], { store });
      const subject = await subjectOf(image);
      const artifact = artifactImage(subject, sbom(`{"mode":"${mode}"}`));
      const pushed = await pushReferrers(repository, [artifact], { store });
      assert.deepEqual(pushed.untracked, [], 'nothing needs the fallback tag');
      assert.equal(proxy.referrerGets, mode === 'referrers-api' ? 1 : 0, 'the API is asked only when the PUT did not say OCI-Subject');
      const client = new Registries().client(proxy.host);
      const listed = await listReferrers(client, `kiln/tracked-${mode}`, subject.digest as Digest);
      assert.equal(listed.via, 'api');
      assert.deepEqual(listed.descriptors.map((d) => d.digest), [await artifact.digest()]);
      assert.equal(await client.headManifest(`kiln/tracked-${mode}`, referrersTag(subject.digest)), undefined, 'no sha256-<hex> tag was written');
    } finally {
      await proxy.close();
    }
  });
}
