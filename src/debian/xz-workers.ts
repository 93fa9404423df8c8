// xz decompression on worker threads. xz-decompress (WebAssembly xz-embedded) decodes one stream at a time per
// thread, so on the main thread every .deb waits for the one before it; here each worker decodes one member and
// the packages of a base decompress side by side, KILN_THREADS at a time. The decoded bytes do not depend on where
// they were decoded. A worker sends at most CREDIT chunks ahead of what its reader has taken, so memory stays
// bounded however large the package.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { threadCount } from '../threads.js';

const CREDIT = 4;
/** INPUT_PIECE is how much compressed input the worker is given at a time. */
const INPUT_PIECE = 1 << 20;

// A plain CommonJS script, so it runs the same under tsx, from dist, from the bundle and inside kiln's image.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { XzReadableStream } = require(workerData.xz);
let credit = 0;
let cancelled = false;
let wake = () => {};
let feed = () => {};
parentPort.on('message', (message) => {
  if (message.type === 'ack') credit++;
  else if (message.type === 'cancel') cancelled = true;
  else if (message.type === 'input') feed(message.piece);
  else decode(message.size);
  wake();
});
async function decode(size) {
  credit = ${CREDIT};
  cancelled = false;
  let offset = 0;
  // The compressed bytes come a piece at a time, asked for as the decoder needs them.
  const input = new ReadableStream({
    async pull(controller) {
      if (offset >= size) return controller.close();
      const piece = await new Promise((resolve) => { feed = resolve; parentPort.postMessage({ type: 'input', offset }); });
      offset += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  const reader = new XzReadableStream(input).getReader();
  try {
    for (;;) {
      while (credit === 0 && !cancelled) await new Promise((resolve) => (wake = resolve));
      if (cancelled) { await reader.cancel(); break; }
      const { done, value } = await reader.read();
      if (done) break;
      credit--;
      const chunk = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
      parentPort.postMessage({ type: 'chunk', chunk }, [chunk.buffer]);
    }
    parentPort.postMessage({ type: 'end' });
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String((error && error.message) || error) });
  }
}
`;

type Message = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' } | { type: 'error'; message: string };

/** XzWorkers decodes xz streams on up to `size` threads; streams beyond that wait for a free thread. */
export class XzWorkers {
  private readonly idle = new Set<Worker>();
  private readonly waiting: Array<() => void> = [];
  private busy = 0;
  private readonly xz = createRequire(import.meta.url).resolve('xz-decompress');

  constructor(readonly size: number) {}

  /** decode yields the stream's decoded bytes in order; leaving the loop early stops the worker's decoding. */
  async *decode(data: Uint8Array): AsyncGenerator<Uint8Array> {
    if (this.busy >= Math.max(1, this.size)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy++;
    const worker = this.takeIdle() ?? this.spawn();
    const inbox: Message[] = [];
    let notify: (() => void) | undefined;
    const onMessage = (message: Message | { type: 'input'; offset: number }): void => {
      if (message.type === 'input') {
        // A copy (Uint8Array.slice; a Buffer's slice is a view) the worker takes over; the caller keeps its .deb.
        const piece = Uint8Array.prototype.slice.call(data, message.offset, message.offset + INPUT_PIECE);
        worker.postMessage({ type: 'input', piece }, [piece.buffer]);
        return;
      }
      inbox.push(message);
      notify?.();
    };
    const onError = (error: Error): void => onMessage({ type: 'error', message: errorMessage(error) });
    const onExit = (code: number): void => onMessage({ type: 'error', message: `the xz worker exited with code ${code}` });
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.ref();
    let finished = false;
    let healthy = true;
    try {
      worker.postMessage({ type: 'decode', size: data.byteLength });
      for (;;) {
        while (!inbox.length) await new Promise<void>((resolve) => (notify = resolve));
        const message = inbox.shift()!;
        if (message.type === 'end') { finished = true; return; }
        if (message.type === 'error') { finished = true; healthy = false; throw new Error(message.message); }
        yield message.chunk;
        worker.postMessage({ type: 'ack' });
      }
    } finally {
      if (!finished) {
        // Left early: the worker stops at its next chunk and says so; chunks already sent are dropped.
        worker.postMessage({ type: 'cancel' });
        for (;;) {
          while (!inbox.length) await new Promise<void>((resolve) => (notify = resolve));
          const message = inbox.shift()!;
          if (message.type === 'end') break;
          if (message.type === 'error') { healthy = false; break; }
        }
      }
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      // A worker whose decoder failed is not trusted with the next stream.
      if (healthy) {
        worker.unref();
        this.idle.add(worker);
      } else {
        void worker.terminate();
      }
      this.busy--;
      this.waiting.shift()?.();
    }
  }

  /** close stops the idle threads (busy ones finish their stream first). */
  async close(): Promise<void> {
    const idle = [...this.idle];
    this.idle.clear();
    await Promise.all(idle.map((worker) => worker.terminate()));
  }

  private takeIdle(): Worker | undefined {
    const [worker] = this.idle;
    if (worker) this.idle.delete(worker);
    return worker;
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, { eval: true, workerData: { xz: this.xz }, execArgv: [] });
    // An idle worker that dies is forgotten, so no stream is ever handed to it.
    worker.on('exit', () => this.idle.delete(worker));
    worker.unref();
    return worker;
  }
}

let shared: XzWorkers | undefined;

/** xzWorkers is the process's one pool, sized by KILN_THREADS (default: the cores available). */
export function xzWorkers(): XzWorkers {
  shared ??= new XzWorkers(threadCount());
  return shared;
}
