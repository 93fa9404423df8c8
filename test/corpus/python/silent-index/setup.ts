// An index that accepts TCP connections and never sends a byte: kiln must time out, not hang.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext, CaseSetup } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  await writeLockedWheel(dir, buildWheel(TINY_WHEEL));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    vars: { port: String((server.address() as AddressInfo).port) },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
