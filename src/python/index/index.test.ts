import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobStore } from '../../cache/blob-store.js';
import { IntegrityError, NetworkError } from '../../errors.js';
import { startPythonHttpServer } from '../../testing/python-http-server.js';
import { startStallServer, type StallMode } from '../../testing/stall-server.js';
import { buildWheel, writeWheel } from '../../testing/wheels.js';
import { HttpClient } from '../../http/client.js';
import { parseNetrc } from './credentials.js';
import { downloadAll, type DownloadRequest } from './download.js';
import { findLinksFiles } from './find-links.js';
import { SimpleIndex } from './simple-client.js';

const wheel = buildWheel({ name: 'demo-pkg', version: '1.0', files: { 'demo_pkg/__init__.py': '' } });
const wheelSha = createHash('sha256').update(wheel).digest('hex');
const PASSWORD = 's3cret-index-pass';

let work: string;
let server: Server;
let base: string;
let inFlight = 0;
let maxInFlight = 0;
const seen: Array<{ url: string; auth?: string }> = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  seen.push({ url, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
  if (url.startsWith('/private/') && req.headers.authorization !== `Basic ${Buffer.from(`kiln:${PASSWORD}`).toString('base64')}`) {
    res.writeHead(401).end();
    return;
  }
  const path = url.replace(/^\/private/, '');
  if (path === '/simple/demo-pkg/') {
    if ((req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json')) {
      res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(JSON.stringify({
        meta: { 'api-version': '1.1' }, name: 'demo-pkg',
        files: [{ filename: 'demo_pkg-1.0-py3-none-any.whl', url: '../../files/demo_pkg-1.0-py3-none-any.whl', hashes: { sha256: wheelSha.toUpperCase() }, 'requires-python': '>=3.8', yanked: false }],
      }));
    } else res.writeHead(406).end();
    return;
  }
  if (path === '/html/demo-pkg/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE html><html><body>
<a href="../../files/demo_pkg-1.0-py3-none-any.whl#sha256=${wheelSha}" data-requires-python="&gt;=3.8">demo_pkg-1.0-py3-none-any.whl</a>
<a href='/files/demo-pkg-0.9.tar.gz' data-yanked="broken">demo-pkg-0.9.tar.gz</a>
</body></html>`);
    return;
  }
  const file = /^\/files\/(slow-\d+-)?demo_pkg-1\.0-py3-none-any\.whl$/.exec(path);
  if (file) {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-length': wheel.length }).end(wheel);
    }, file[1] ? 30 : 0);
    return;
  }
  res.writeHead(404).end();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-index-'));
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

const noCredentials = { env: {}, netrcPath: '/nonexistent' };

test('PEP 691 JSON pages give absolute URLs and lowercase hashes', async () => {
  const files = await new SimpleIndex(`${base}/simple/`, noCredentials).projectFiles('Demo_Pkg');
  assert.deepEqual(files, [{ filename: 'demo_pkg-1.0-py3-none-any.whl', url: `${base}/files/demo_pkg-1.0-py3-none-any.whl`, hashes: { sha256: wheelSha }, requiresPython: '>=3.8' }]);
});

test('PEP 503 HTML pages give hashes from fragments, requires-python and yanked', async () => {
  const files = await new SimpleIndex(`${base}/html`, noCredentials).projectFiles('demo-pkg');
  assert.deepEqual(files, [
    { filename: 'demo_pkg-1.0-py3-none-any.whl', url: `${base}/files/demo_pkg-1.0-py3-none-any.whl`, hashes: { sha256: wheelSha }, requiresPython: '>=3.8' },
    { filename: 'demo-pkg-0.9.tar.gz', url: `${base}/files/demo-pkg-0.9.tar.gz`, hashes: {}, yanked: 'broken' },
  ]);
});

test('credentials come from ~/.netrc for the index host only and never appear in errors', async () => {
  const netrcPath = join(work, 'netrc');
  await writeFile(netrcPath, `machine 127.0.0.1\n  login kiln\n  password ${PASSWORD}\n`);
  assert.deepEqual(parseNetrc(`machine a login u password p\ndefault login d password q`).get(''), { username: 'd', password: 'q' });
  const index = new SimpleIndex(`${base}/private/simple`, { env: {}, netrcPath });
  assert.equal((await index.projectFiles('demo-pkg')).length, 1);
  assert.ok(seen.some((r) => r.url === '/private/simple/demo-pkg/' && r.auth));
  assert.deepEqual(index.headersFor('http://localhost:1/x.whl'), {});
  await assert.rejects(new SimpleIndex(`${base}/private/simple`, noCredentials).projectFiles('demo-pkg'), /access denied \(HTTP 401\)/);
  const viaEnv = new SimpleIndex(`http://kiln:${PASSWORD}@127.0.0.1:1/simple`, noCredentials);
  assert.equal(viaEnv.url, 'http://127.0.0.1:1/simple');
  await assert.rejects(viaEnv.projectFiles('demo-pkg'), (error: Error) => error instanceof NetworkError && !error.message.includes(PASSWORD));
  const named = new SimpleIndex(`${base}/private/simple`, { env: { KILN_INDEX_CORP_MIRROR_USERNAME: 'kiln', KILN_INDEX_CORP_MIRROR_PASSWORD: PASSWORD }, netrcPath: '/nonexistent', name: 'corp-mirror' });
  assert.equal((await named.projectFiles('demo-pkg')).length, 1);
});

test('an unreachable index is a NetworkError naming the index and the package', async () => {
  await assert.rejects(
    new SimpleIndex('http://127.0.0.1:1/simple', { ...noCredentials, http: new HttpClient({ retries: 1, backoffMs: 5 }) }).projectFiles('torch'),
    (error: Error) => error instanceof NetworkError && error.message === 'index http://127.0.0.1:1/simple (package torch): GET http://127.0.0.1:1/simple/torch/: connection refused after 2 attempts',
  );
});

test('downloads are verified, cached by sha256, bounded in parallel and reported', async () => {
  const store = new BlobStore(join(work, 'cache-1'));
  const requests: DownloadRequest[] = Array.from({ length: 6 }, (_, i) => ({
    packageName: `p${i}`, filename: 'demo_pkg-1.0-py3-none-any.whl', url: `${base}/files/slow-${i}-demo_pkg-1.0-py3-none-any.whl`, hashes: { sha256: wheelSha },
  }));
  // All six carry the same hash: the first two start before anything is cached, later ones are cache hits.
  maxInFlight = 0;
  const progress: number[] = [];
  const results = await downloadAll(requests, { store, concurrency: 2, onProgress: (p) => progress.push(p.done) });
  assert.equal(maxInFlight, 2);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
  assert.equal(results[0]!.digest, `sha256:${wheelSha}`);
  assert.deepEqual(await store.read(results[0]!.digest), wheel);
  const before = seen.length;
  const again = await downloadAll(requests.slice(0, 1), { store });
  assert.equal(again[0]!.fromCache, true);
  assert.equal(seen.length, before);
});

test('a file that does not match the lock hash is refused and not cached; unhashed files need allowUnhashed', async () => {
  const store = new BlobStore(join(work, 'cache-2'));
  const wrong = 'ab'.repeat(32);
  await assert.rejects(
    downloadAll([{ packageName: 'demo-pkg', filename: 'demo_pkg-1.0-py3-none-any.whl', url: `${base}/files/demo_pkg-1.0-py3-none-any.whl`, hashes: { sha256: wrong } }], { store }),
    (error: Error) => error instanceof IntegrityError && error.message.startsWith('demo-pkg: demo_pkg-1.0-py3-none-any.whl: digest mismatch'),
  );
  assert.equal(await store.has(`sha256:${wrong}`), false);
  assert.equal(await store.has(`sha256:${wheelSha}`), false);
  const unhashed: DownloadRequest = { packageName: 'demo-pkg', filename: 'demo_pkg-1.0-py3-none-any.whl', url: `${base}/files/demo_pkg-1.0-py3-none-any.whl`, hashes: {} };
  await assert.rejects(downloadAll([unhashed], { store }), /the lock has no sha256 for demo_pkg-1\.0-py3-none-any\.whl/);
  assert.equal((await downloadAll([unhashed], { store, allowUnhashed: true }))[0]!.digest, `sha256:${wheelSha}`);
});

test('find-links directories list local wheels as file URLs that download like any other', async () => {
  const dir = join(work, 'links');
  await (await import('node:fs/promises')).mkdir(dir);
  await writeFile(join(dir, 'demo_pkg-1.0-py3-none-any.whl'), wheel);
  await writeFile(join(dir, 'notes.txt'), 'x');
  const files = await findLinksFiles(dir);
  assert.deepEqual(files.map((f) => f.filename), ['demo_pkg-1.0-py3-none-any.whl']);
  const [done] = await downloadAll([{ packageName: 'demo-pkg', filename: files[0]!.filename, url: files[0]!.url, hashes: { sha256: wheelSha } }], { store: new BlobStore(join(work, 'cache-3')) });
  assert.equal(done!.digest, `sha256:${wheelSha}`);
});

// KILN_HTTP_TIMEOUT=1 and one retry: a stuck index must fail fast, naming what was asked for.
const quickEnv = { KILN_HTTP_TIMEOUT: '1', KILN_HTTP_RETRIES: '1' };

for (const mode of ['silent', 'stall-body'] as StallMode[]) {
  test(`an index that ${mode === 'silent' ? 'never answers' : 'stalls mid-body'} fails within the timeout naming the URL`, async () => {
    const stuck = await startStallServer(mode);
    try {
      const started = Date.now();
      const why = mode === 'silent' ? 'no response within 1s' : 'response body stalled \\(nothing received within 1s\\)';
      await assert.rejects(new SimpleIndex(`${stuck.url}/simple`, { env: quickEnv, netrcPath: '/nonexistent' }).projectFiles('torch'), (error: Error) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.message, new RegExp(`^index ${stuck.url}/simple \\(package torch\\): GET ${stuck.url}/simple/torch/: ${why} after 2 attempts$`));
        return true;
      });
      const download: DownloadRequest = { packageName: 'torch', filename: 'torch-2.0-py3-none-any.whl', url: `${stuck.url}/files/torch-2.0-py3-none-any.whl`, hashes: { sha256: 'a'.repeat(64) } };
      await assert.rejects(downloadAll([download], { store: new BlobStore(join(work, `stall-${mode}`)), http: new HttpClient({ env: quickEnv }) }), (error: Error) => {
        assert.match(error.message, new RegExp(`^torch: downloading torch-2\\.0-py3-none-any\\.whl: GET ${stuck.url}/files/torch-2\\.0-py3-none-any\\.whl: ${why} after 2 attempts$`));
        return true;
      });
      assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    } finally {
      await stuck.close();
    }
  });
}

test('a simple index and a wheel folder served by a stock `python3 -m http.server` (HTTP/1.0) list and download', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-pyhttp-'));
  const names = ['alpha', 'beta', 'gamma', 'delta'];
  const requests: DownloadRequest[] = [];
  for (const name of names) {
    const dir = join(root, 'simple', name);
    await mkdir(dir, { recursive: true });
    // Big enough that bodies arrive in many chunks while the server closes behind them.
    const spec = { name, version: '1.0', files: { [`${name}/__init__.py`]: '', [`${name}/data.bin`]: createHash('sha512').update(name).digest('hex').repeat(4000) } };
    const filename = await writeWheel(dir, spec);
    const data = buildWheel(spec);
    requests.push({ packageName: name, filename: filename.split('/').at(-1)!, url: '', hashes: { sha256: createHash('sha256').update(data).digest('hex') } });
  }
  const server = await startPythonHttpServer(root);
  try {
    const index = new SimpleIndex(`${server.url}/simple`, { netrcPath: '/nonexistent', env: {} });
    for (const request of requests) {
      const files = await index.projectFiles(request.packageName);
      const file = files.find((candidate) => candidate.filename === request.filename);
      assert.ok(file, `${request.filename} is listed by the directory page`);
      request.url = file.url;
    }
    for (let round = 0; round < 3; round++) {
      const results = await downloadAll(requests, { store: new BlobStore(join(root, `cache-${round}`)), concurrency: 4 });
      assert.deepEqual(results.map((r) => r.digest), requests.map((r) => `sha256:${r.hashes.sha256}`));
    }
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
});
