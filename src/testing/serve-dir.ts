// A static file server on 127.0.0.1:<random port> for tests that need a real HTTP mirror.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** ServedDir is a running server over one directory, with a log of the paths it was asked for. */
export interface ServedDir {
  url: string;
  /** requests lists every path asked for, in order (to assert what was or was not downloaded). */
  requests: string[];
  /** failNext makes the next requests for `path` answer with these statuses, one each (fault injection). */
  failNext(path: string, ...statuses: number[]): void;
  close(): Promise<void>;
}

/** serveDir serves `root` read-only over HTTP until close() is called; `headers` adds response headers per path. */
export async function serveDir(root: string, headers: (path: string) => Record<string, string> = () => ({})): Promise<ServedDir> {
  const requests: string[] = [];
  const failures = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const status = failures.get(path)?.shift();
    if (status !== undefined) {
      res.writeHead(status).end(`injected ${status}\n`);
      return;
    }
    const file = join(root, normalize(path).replace(/^(\.\.(\/|$))+/, ''));
    stat(file).then(
      (info) => {
        if (!info.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream', ...headers(path) });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      },
    ).catch(() => {
      res.writeHead(404).end('not found\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(path, ...statuses) {
      failures.set(path, [...(failures.get(path) ?? []), ...statuses]);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
