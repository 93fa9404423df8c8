import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { IntegrityError, NetworkError } from '../errors.js';
import { createAptRepo } from '../testing/apt-repo.js';
import { parseDeb822 } from './deb822.js';
import { fetchDeb, httpGet, isNotFound } from './mirror.js';
import type { ResolvedPackage } from './types.js';

const repo = await createAptRepo({
  packages: [
    { name: 'tool', version: '1.0-1', files: { 'usr/bin/tool': 'tool\n' } },
    { name: 'broken', version: '2.0-1', files: { 'usr/share/broken': 'x'.repeat(5000) } },
  ],
});
after(() => repo.close());

async function resolved(name: string): Promise<ResolvedPackage> {
  const text = await readFile(join(repo.dir, 'dists', repo.suite, 'main/binary-amd64/Packages'), 'utf8');
  const stanza = parseDeb822(text).find((s) => s.get('Package') === name)!;
  return {
    name, version: stanza.get('Version')!, architecture: stanza.get('Architecture')!, filename: stanza.get('Filename')!,
    sha256: stanza.get('SHA256')!, size: Number(stanza.get('Size')), mirror: repo.url, control: stanza.fields,
  };
}

async function freshStore(): Promise<BlobStore> {
  return new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-store-')));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('fetchDeb stores a verified .deb once and reuses the cached blob', async () => {
  const store = await freshStore();
  const pkg = await resolved('tool');
  const info = await fetchDeb(pkg, store);
  assert.equal(info.digest, `sha256:${pkg.sha256}`);
  assert.deepEqual(await store.read(info.digest), await readFile(repo.debPath('tool')));
  const before = repo.server.requests.length;
  await fetchDeb(pkg, store);
  assert.equal(repo.server.requests.length, before, 'a cached .deb is not downloaded again');
});

test('fetchDeb rejects a tampered .deb naming the package, storing nothing', async () => {
  const store = await freshStore();
  const pkg = await resolved('broken');
  await repo.tamperDeb('broken');
  await assert.rejects(fetchDeb(pkg, store), (e) =>
    e instanceof IntegrityError && e.message.startsWith('package broken 2.0-1 (') && /digest mismatch/.test(e.message));
  assert.equal(await store.has(`sha256:${pkg.sha256}`), false);
  assert.deepEqual(await readdir(join(store.root, 'tmp')), [], 'no partial file left behind');
});

test('httpGet retries a transient 503 and gives up on 404 at once', async () => {
  const path = `/debian/dists/${repo.suite}/Release`;
  repo.server.failNext(path, 503);
  const before = repo.server.requests.length;
  const body = await httpGet(`${repo.url}/dists/${repo.suite}/Release`, { retries: 2 });
  assert.match(body.toString(), /^Origin: kiln-test/);
  assert.equal(repo.server.requests.length - before, 2);

  const missing = `${repo.url}/dists/${repo.suite}/Nope`;
  const start = repo.server.requests.length;
  await assert.rejects(httpGet(missing), (e) => isNotFound(e) && e instanceof NetworkError && e.message === `apt mirror: GET ${missing}: HTTP 404`);
  assert.equal(repo.server.requests.length - start, 1);
});

test('an unreachable mirror is a NetworkError naming the URL', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/debian/dists/bookworm/InRelease`;
  await assert.rejects(httpGet(url, { retries: 1 }), (e) =>
    e instanceof NetworkError && e.message === `apt mirror: GET ${url}: connection refused after 2 attempts`);
});
