// A workaround for an undici 7 crash (nodejs/undici#5360, fixed in undici 8, which needs Node 22): when a
// server ends the connection after a response it will not keep alive (HTTP/1.0 servers such as
// `python3 -m http.server`, `Connection: close`, or a reset mid-body) while the response body is paused for
// backpressure, undici's socket 'end' handler calls the parser's finish() and trips `assert(!this.paused)`,
// an uncaught AssertionError that kills the process. Holding the 'end' event back until the consumer has
// resumed the parser lets undici finish the response (or fail it as truncated) the ordinary way.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';

// undici keeps its HTTP/1 parser on the socket under a symbol described as 'parser'.
function parserOf(socket: Socket): { paused?: boolean } | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'parser');
  return key ? (socket as unknown as Record<symbol, { paused?: boolean } | undefined>)[key] : undefined;
}

/** guardEnd makes `socket` deliver 'end' only while undici's parser on it is not paused. */
export function guardEnd(socket: Socket): void {
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = function guarded(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'end' || !parserOf(socket)?.paused) return emit(event, ...args);
    const later = (): void => {
      if (socket.destroyed) return;
      if (parserOf(socket)?.paused) setTimeout(later, 2).unref();
      else emit('end', ...args);
    };
    setTimeout(later, 2).unref();
    return true;
  } as typeof socket.emit;
}

/** guardedConnector is undici's connector with guardEnd applied to every socket it opens. */
export function guardedConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) => connect(opts, (error, socket) => {
    if (socket) guardEnd(socket as Socket | TLSSocket);
    // undici's callback type is a union of (error, null) and (null, socket).
    (callback as (error: Error | null, socket: Socket | TLSSocket | null) => void)(error, socket as Socket | TLSSocket | null);
  });
}
