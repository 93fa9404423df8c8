// Servers that misbehave in time rather than in content: one accepts connections and never answers, one
// sends headers and a little of the body and then goes quiet. For timeout tests of every HTTP client.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** StallMode: `silent` never answers; `stall-body` answers 200 with a large Content-Length, sends a little, then stops. */
export type StallMode = 'silent' | 'stall-body';

/** StallServer is a running misbehaving server; `url` is its base, `host` its host:port. */
export interface StallServer {
  url: string;
  host: string;
  /** connections counts accepted connections (one per attempt when nothing is reused). */
  connections(): number;
  close(): Promise<void>;
}

/** startStallServer listens on a free loopback port in the given mode. */
export async function startStallServer(mode: StallMode): Promise<StallServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'stall-body') {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1048576\r\n\r\n');
        socket.write(Buffer.alloc(1024, 0x61));
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
