import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import { serializeJson } from '../oci/image.js';
import { MediaType } from '../oci/media-types.js';
import { withConfig } from '../oci/mutate.js';
import { Annotation, type Index, type Manifest } from '../oci/spec.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { busyboxImage, withAppLayer } from '../testing/registry-images.js';
import { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import { formatReference } from './reference.js';
import { Transport } from './transport.js';

const run = promisify(execFile);
let registry: TestRegistry;
let buildStore: BlobStore;
const dirs: string[] = [];

async function freshStore(): Promise<BlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-pull-cache-'));
  dirs.push(dir);
  return new BlobStore(dir);
}

before(async () => {
  registry = await startRegistry();
  buildStore = await freshStore();
});
after(async () => {
  await registry?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('a base pulled by tag is pinned by digest, and an image built on it records base name and digest', async () => {
  const base = await busyboxImage(buildStore, 'base');
  await pushImage(base, [`${registry.host}/library/python:3.11-slim`]);
  const store = await freshStore();
  const pulled = await pullImage(`${registry.host}/library/python:3.11-slim`, { store });
  const digest = await base.digest();
  assert.equal(pulled.digest, digest);
  assert.equal(formatReference(pulled.reference), `${registry.host}/library/python:3.11-slim@${digest}`);
  assert.ok((await pulled.image.rawManifest()).equals(await base.rawManifest()));
  for (const layer of await pulled.image.layers()) {
    assert.ok(await store.has(await layer.digest()), 'layers are in the cache');
    assert.equal(sha256(await store.read(await layer.digest())), await layer.digest());
  }
  assert.deepEqual(pulled.baseAnnotations, {
    [Annotation.baseName]: `${registry.host}/library/python:3.11-slim`,
    [Annotation.baseDigest]: digest,
  });

  const app = await withAppLayer(store, pulled.image, { 'app/main.py': 'print(1)\n' });
  const built = await withConfig(app, () => undefined, pulled.baseAnnotations);
  await pushImage(built, [`${registry.host}/kiln/app:1`], { store });
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/kiln/app:1`]);
  const manifest = JSON.parse(stdout) as Manifest;
  assert.equal(manifest.annotations?.[Annotation.baseDigest], digest);
  assert.equal(manifest.layers[0]!.digest, (await base.manifest()).layers[0]!.digest, 'built on the pulled layer');
});

test('an index is resolved to the requested platform; Docker v2 schema 2 media types are accepted', async () => {
  const amd = await busyboxImage(buildStore, 'amd64');
  const arm = await busyboxImage(buildStore, 'arm64');
  await pushImage(amd, [`${registry.host}/kiln/multi@${await amd.digest()}`]);
  await pushImage(arm, [`${registry.host}/kiln/multi@${await arm.digest()}`]);
  // The arm64 entry is rewritten as a Docker manifest to check both families are read.
  const armManifest = await arm.manifest();
  const dockerManifest = serializeJson({
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { ...armManifest.config, mediaType: MediaType.dockerConfig },
    layers: armManifest.layers.map((l) => ({ ...l, mediaType: MediaType.dockerLayerGzip })),
  });
  const client = new RegistryClient(registry.host, new Transport());
  const { digest: dockerDigest } = await client.putManifest('kiln/multi', sha256(dockerManifest), { raw: dockerManifest, mediaType: MediaType.dockerManifest });
  const index: Index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: await amd.digest(), size: (await amd.rawManifest()).length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaType.dockerManifest, digest: dockerDigest, size: dockerManifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  };
  const { digest: indexDigest } = await client.putManifest('kiln/multi', 'latest', { raw: serializeJson(index), mediaType: MediaType.ociIndex });

  const store = await freshStore();
  const pulled = await pullImage(`${registry.host}/kiln/multi`, { store, platform: { os: 'linux', architecture: 'arm64' } });
  assert.equal(pulled.digest, indexDigest, 'the tag is pinned to the index');
  assert.equal(pulled.imageDigest, dockerDigest);
  assert.equal((await pulled.image.layers())[0]!.mediaType, MediaType.dockerLayerGzip);
  assert.equal((await pulled.image.config()).config?.Cmd?.[1], 'arm64');

  const amdPulled = await pullImage(`${registry.host}/kiln/multi:latest`, { store });
  assert.equal(amdPulled.imageDigest, await amd.digest(), 'linux/amd64 by default');

  await assert.rejects(pullImage(`${registry.host}/kiln/multi`, { store, platform: { os: 'linux', architecture: 's390x' } }),
    (error: Error) => error instanceof InputError && /no image for linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8\)/.test(error.message));
});

test('an unknown tag or repository is a one-line 404 naming registry and repository', async () => {
  const store = await freshStore();
  await assert.rejects(pullImage(`${registry.host}/kiln/nothing:here`, { store }), (error: Error) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.status, 404);
    assert.match(error.message, new RegExp(`^fetching manifest ${registry.host}/kiln/nothing:here: HTTP 404 not found`));
    assert.ok(!error.message.includes('\n'));
    return true;
  });
  await assert.rejects(pullImage('Bad/Name', { store }), /invalid image reference "Bad\/Name": "Bad" must be lower case/);
});

test('a manifest whose bytes do not match its digest is refused and nothing is cached', async () => {
  const good = serializeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: sha256('{}'), size: 2 }, layers: [] });
  const tampered = Buffer.from(good.toString().replace('"layers":[]', '"layers":[] '));
  // A fake registry (fault injection): it serves tampered bytes under the good digest.
  const server = createServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(200, { 'content-type': MediaType.ociManifest, 'docker-content-digest': sha256(good) }).end(tampered);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const store = await freshStore();
    await assert.rejects(pullImage(`${host}/kiln/evil:1`, { store }), (error: Error) => error instanceof IntegrityError && /digest mismatch/.test(error.message));
    await assert.rejects(pullImage(`${host}/kiln/evil@${sha256(good)}`, { store }), (error: Error) =>
      error instanceof IntegrityError && error.message.includes(`expected ${sha256(good)}, got ${sha256(tampered)}`));
    assert.equal(await store.has(sha256('{}')), false);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
