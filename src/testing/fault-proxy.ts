// An in-process HTTP proxy in front of a real registry: it counts requests and bytes, and injects
// connection resets, 500s and 429s on a seeded share of requests, or plays dead entirely.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Faults are the chances (0..1) that a request meets each failure before reaching the registry. */
export interface Faults {
  reset?: number;
  status500?: number;
  status429?: number;
  /** resetBody is the chance that a GET's response is cut off by a reset halfway through its body. */
  resetBody?: number;
  /** cutNext cuts the bodies of the next N GETs (that `only` lets through) halfway, whatever the dice say. */
  cutNext?: number;
  /** only limits faults to requests whose path matches (say, manifests); others pass untouched. */
  only?: RegExp;
  /** down answers every request with a reset: the registry has gone away. */
  down?: boolean;
}

/** ProxiedRequest is one request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** bytesIn is the request body size that reached the registry (0 when a fault stopped it). */
  bytesIn: number;
  fault?: 'reset' | '500' | '429' | 'reset-body';
}

/** FaultProxy is a running proxy; `host` replaces the registry's host in references. */
export interface FaultProxy {
  host: string;
  requests: ProxiedRequest[];
  setFaults(faults: Faults): void;
  /** uploadedBytes sums request bodies sent to blob upload endpoints. */
  uploadedBytes(): number;
  close(): Promise<void>;
}

// mulberry32: a tiny seeded PRNG so a failing run can be replayed.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** startFaultProxy proxies to `upstream` (`host:port`) on a free loopback port. */
export async function startFaultProxy(upstream: string, faults: Faults = {}, seed = 1): Promise<FaultProxy> {
  let current = faults;
  const random = prng(seed);
  const requests: ProxiedRequest[] = [];
  const [upstreamHost, upstreamPort] = upstream.split(':');

  const server: Server = createServer((req: IncomingMessage, res) => {
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', bytesIn: 0 };
    requests.push(entry);
    const eligible = current.down || !current.only || current.only.test(entry.path);
    const roll = eligible ? random() : 1;
    const reset = current.down ? 1 : current.reset ?? 0;
    const s500 = current.status500 ?? 0;
    const s429 = current.status429 ?? 0;
    if (roll < reset) {
      entry.fault = 'reset';
      req.socket.destroy();
      return;
    }
    if (roll < reset + s500 || roll < reset + s500 + s429) {
      const status = roll < reset + s500 ? 500 : 429;
      entry.fault = status === 500 ? '500' : '429';
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'text/plain', ...(status === 429 ? { 'retry-after': '0' } : {}) }).end(`injected ${status}\n`));
      return;
    }
    let cutBody = req.method === 'GET' && roll < reset + s500 + s429 + (current.resetBody ?? 0);
    if (req.method === 'GET' && eligible && (current.cutNext ?? 0) > 0) {
      current = { ...current, cutNext: current.cutNext! - 1 };
      cutBody = true;
    }
    const forward = request({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      const length = Number(upstreamRes.headers['content-length'] ?? 0);
      if (!cutBody || upstreamRes.statusCode !== 200 || length < 2) {
        upstreamRes.pipe(res);
        return;
      }
      // Send the headers and half the body, then break the connection.
      entry.fault = 'reset-body';
      let sent = 0;
      upstreamRes.on('data', (chunk: Buffer) => {
        if (sent >= length / 2) return;
        const part = chunk.subarray(0, Math.max(0, Math.ceil(length / 2) - sent));
        sent += part.length;
        res.write(part);
        if (sent >= length / 2) res.write(Buffer.alloc(0), () => req.socket.destroy());
      });
    });
    forward.on('error', () => req.socket.destroy());
    req.on('data', (chunk: Buffer) => (entry.bytesIn += chunk.length));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    setFaults(next) {
      current = next;
    },
    uploadedBytes: () => requests.filter((r) => r.path.includes('/blobs/uploads/')).reduce((sum, r) => sum + r.bytesIn, 0),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
