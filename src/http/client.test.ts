import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetworkError } from '../errors.js';
import { startStallServer } from '../testing/stall-server.js';
import { HttpClient, HttpStatusError } from './client.js';
import { redact, redactDeep, redactUrl } from './redact.js';
import { httpSettingsFromEnv } from './settings.js';

// The client loads undici with its first request; load it here so the timed tests time the server, not the import.
await import('undici');

const servers: Server[] = [];
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<string> {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, n++));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// One-second timeouts and one retry, as a user would set them with KILN_HTTP_TIMEOUT=1 KILN_HTTP_RETRIES=1.
const quick = { env: { KILN_HTTP_TIMEOUT: '1', KILN_HTTP_RETRIES: '1' }, backoffMs: 5 };

test('a server that accepts and never answers fails within the timeout, in one line naming the URL', async () => {
  const silent = await startStallServer('silent');
  try {
    const started = Date.now();
    await assert.rejects(new HttpClient(quick).getBuffer(`${silent.url}/dists/x/InRelease`, 'apt mirror'), (error: Error) => {
      assert.ok(error instanceof NetworkError);
      assert.equal(error.message, `apt mirror: GET ${silent.url}/dists/x/InRelease: no response within 1s after 2 attempts`);
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 2000 && took < 4000, `two 1 s attempts, took ${took} ms`);
  } finally {
    await silent.close();
  }
});

test('a body that stalls after the headers fails within the timeout, in one line naming the URL', async () => {
  const stall = await startStallServer('stall-body');
  try {
    const started = Date.now();
    await assert.rejects(new HttpClient(quick).getBuffer(`${stall.url}/simple/torch/`, 'index'), (error: Error) => {
      assert.equal(error.message, `index: GET ${stall.url}/simple/torch/: response body stalled (nothing received within 1s) after 2 attempts`);
      return true;
    });
    assert.ok(Date.now() - started < 4000);
    assert.equal(stall.connections(), 2, 'the stall was retried once');
  } finally {
    await stall.close();
  }
});

test('the deadline bounds a whole request, retries included', async () => {
  const silent = await startStallServer('silent');
  try {
    const started = Date.now();
    const client = new HttpClient({ env: { KILN_HTTP_TIMEOUT: '5', KILN_HTTP_DEADLINE: '1' } });
    await assert.rejects(client.getBuffer(`${silent.url}/v2/`, 'registry'), /^NetworkError: registry: GET http:\/\/127\.0\.0\.1:\d+\/v2\/: no complete answer within 1s \(KILN_HTTP_DEADLINE\)$/);
    assert.ok(Date.now() - started < 2000);
  } finally {
    await silent.close();
  }
});

test('a connection reset in the middle of a body is retried, and so are 503 and 429 (honouring Retry-After)', async () => {
  const payload = Buffer.alloc(200_000, 0x62);
  const url = await serve((_req, res, n) => {
    if (n === 0) {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 50_000), () => res.socket?.destroy());
    } else if (n === 1) res.writeHead(503).end('busy');
    else if (n === 2) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    else res.writeHead(200, { 'content-length': payload.length }).end(payload);
  });
  const started = Date.now();
  const { body } = await new HttpClient({ retries: 3, backoffMs: 5 }).getBuffer(`${url}/blob`, 'blob');
  assert.ok(body.equals(payload));
  assert.ok(Date.now() - started >= 1000, 'waited as Retry-After asked');
});

test('a 404 is final, not retried, and names the URL', async () => {
  let hits = 0;
  const url = await serve((_req, res) => {
    hits++;
    res.writeHead(404).end();
  });
  await assert.rejects(new HttpClient({ retries: 3 }).getBuffer(`${url}/nope`, 'apt mirror'), (error: Error) =>
    error instanceof HttpStatusError && error.status === 404 && error.message === `apt mirror: GET ${url}/nope: HTTP 404`);
  assert.equal(hits, 1);
});

test('a redirect to another host does not carry credentials; one on the same host does', async () => {
  const seen: Array<string | undefined> = [];
  const storage = await serve((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200).end('data');
  });
  const origin = await serve((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === '/same') res.writeHead(307, { location: '/there' }).end();
    else if (req.url === '/there') res.writeHead(307, { location: `${storage.replace('127.0.0.1', 'localhost')}/blob` }).end();
    else res.writeHead(404).end();
  });
  const { body } = await new HttpClient().getBuffer(`${origin}/same`, 'blob', { authorization: 'Bearer abcdefghijkl' });
  assert.equal(body.toString(), 'data');
  assert.deepEqual(seen, ['Bearer abcdefghijkl', 'Bearer abcdefghijkl', undefined]);
});

test('redact masks URL passwords (scheme and bare), keeps pinned references and plain URLs', () => {
  assert.equal(redactUrl('https://user:secret@host/simple'), 'https://user:***@host/simple');
  assert.equal(redact('invalid image reference "user:PASSWORD@reg:5000/a/b:1"'), 'invalid image reference "user:***@reg:5000/a/b:1"');
  assert.equal(redact('docker://user:p%40ss@reg/a'), 'docker://user:***@reg/a');
  assert.equal(redact('python:3.11@sha256:0123abcd and http://host:5000/v2/'), 'python:3.11@sha256:0123abcd and http://host:5000/v2/');
  assert.deepEqual(redactDeep({ python: { indexUrl: 'https://u:pw@h/simple', n: 1 } }), { python: { indexUrl: 'https://u:***@h/simple', n: 1 } });
});

test('KILN_HTTP_TIMEOUT, KILN_HTTP_DEADLINE and KILN_HTTP_RETRIES override the defaults; nonsense is refused', () => {
  assert.deepEqual(httpSettingsFromEnv({ KILN_HTTP_TIMEOUT: '2.5', KILN_HTTP_DEADLINE: '60', KILN_HTTP_RETRIES: '0' }),
    { connectMs: 2500, headersMs: 2500, bodyIdleMs: 2500, deadlineMs: 60_000, retries: 0 });
  assert.deepEqual(httpSettingsFromEnv({}), {});
  assert.throws(() => httpSettingsFromEnv({ KILN_HTTP_TIMEOUT: 'soon' }), /^UsageError: KILN_HTTP_TIMEOUT=soon: expected a number of seconds/);
  assert.throws(() => httpSettingsFromEnv({ KILN_HTTP_RETRIES: '-1' }), /KILN_HTTP_RETRIES=-1: expected a whole number/);
});

test('a server that answers `Connection: close` and closes does not crash a slow reader (undici 7 parser assertion)', async () => {
  const { createServer: createTcpServer } = await import('node:net');
  const payload = Buffer.alloc(4 << 20, 0x63);
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: ${payload.length}\r\n\r\n`), payload]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool/big.deb`;
  try {
    const client = new HttpClient({ retries: 0 });
    for (let round = 0; round < 3; round++) {
      // A reader slower than loopback, as hashing into the blob store is: undici pauses its parser meanwhile.
      const total = await client.read({ method: 'GET', url, what: 'apt mirror' }, async (response) => {
        let bytes = 0;
        for await (const chunk of response.body) {
          bytes += (chunk as Buffer).length;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return bytes;
      });
      assert.equal(total, payload.length);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
