// Mirrors as they are found in the wild: a stock `python3 -m http.server` (HTTP/1.0, one response per
// connection), and servers that accept a connection and then say nothing, or stop mid-file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { NetworkError } from '../errors.js';
import { createAptRepo, type AptRepoPackage } from '../testing/apt-repo.js';
import { startPythonHttpServer } from '../testing/python-http-server.js';
import { startStallServer, type StallMode } from '../testing/stall-server.js';
import { packagesFromLock, resolveBase, type BaseRequest } from './lock.js';
import { fetchDeb } from './mirror.js';
import { fetchRelease } from './release.js';

// Packages of some size, so bodies arrive in many chunks while the server is closing the connection.
const filler = (name: string): string => createHash('sha512').update(name).digest('hex').repeat(3000);
const packages: AptRepoPackage[] = [
  ...['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1', files: { [`usr/share/${name}/data`]: filler(name) } })),
  { name: 'tool', version: '1.0', architecture: 'amd64', depends: 'libtool1', files: { 'usr/bin/tool': filler('tool') } },
  { name: 'libtool1', version: '1.0', architecture: 'amd64', files: { 'usr/lib/libtool.so.1': filler('lib') } },
];
const repo = await createAptRepo({
  suite: 'bookworm',
  packages,
  indexes: ['plain', 'gz'],
  suites: [{ suite: 'bookworm-updates', packages: [] }, { suite: 'bookworm-security', packages: [] }],
});
after(() => repo.close());

async function freshStore(): Promise<BlobStore> {
  return new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-store-')));
}

test('a signed apt repository served by `python3 -m http.server` resolves and every .deb downloads, repeatedly', async () => {
  const server = await startPythonHttpServer(dirname(repo.dir));
  try {
    const mirror = `${server.url}/debian`;
    const request: BaseRequest = {
      distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['tool'],
      mirrors: { mirror, securityMirror: mirror }, keyring: repo.keyring,
    };
    for (let round = 0; round < 3; round++) {
      const store = await freshStore();
      const base = await resolveBase(request, { store });
      assert.deepEqual(base.packages.map((p) => p.name).sort(), ['base-files', 'ca-certificates', 'libtool1', 'netbase', 'tool', 'tzdata']);
      const fetched = await Promise.all(packagesFromLock(base, request).map((pkg) => fetchDeb(pkg, store)));
      assert.deepEqual(fetched.map((info) => info.digest), base.packages.map((p) => `sha256:${p.sha256}`));
    }
  } finally {
    await server.close();
  }
});

for (const mode of ['silent', 'stall-body'] as StallMode[]) {
  test(`a mirror that ${mode === 'silent' ? 'never answers' : 'stalls mid-file'} fails within KILN_HTTP_TIMEOUT, naming the URL`, async () => {
    const stuck = await startStallServer(mode);
    try {
      const env = { KILN_HTTP_TIMEOUT: '1', KILN_HTTP_RETRIES: '1' };
      const url = `${stuck.url}/debian/dists/bookworm/InRelease`;
      const why = mode === 'silent' ? 'no response within 1s' : 'response body stalled (nothing received within 1s)';
      const started = Date.now();
      await assert.rejects(fetchRelease(repo.source({ mirror: `${stuck.url}/debian`, suite: 'bookworm' }), { env }), (error: Error) => {
        assert.ok(error instanceof NetworkError);
        assert.equal(error.message, `apt mirror: GET ${url}: ${why} after 2 attempts`);
        return true;
      });
      assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    } finally {
      await stuck.close();
    }
  });
}
