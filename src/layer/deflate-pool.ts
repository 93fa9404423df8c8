// DeflatePool: worker threads that deflate one block each with kiln's WebAssembly libdeflate.
import { Worker } from 'node:worker_threads';
import { errorMessage, KilnError } from '../errors.js';
import { threadCount } from '../threads.js';
import { DEFLATE_CALL_SOURCE, libdeflateModule } from './libdeflate/index.js';

/** DeflateTask is one block of a block-parallel gzip stream. */
export interface DeflateTask {
  block: Buffer;
  /** final ends the deflate stream; other blocks end with a sync flush so they concatenate. */
  final: boolean;
  level: number;
}

// The worker is a plain CommonJS script, so it runs the same under tsx, from dist and inside kiln's image; the
// compiled module comes with workerData.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
${DEFLATE_CALL_SOURCE}
const wasm = new WebAssembly.Instance(workerData.module, {}).exports;
parentPort.on('message', ({ id, block, final, level }) => {
  try {
    const out = deflateCall(wasm, block, level, final);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  task: DeflateTask;
  resolve: (out: Buffer) => void;
  reject: (error: Error) => void;
}

/** DeflatePool runs deflate tasks on up to `size` worker threads, first come first served. */
export class DeflatePool {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly live = new Set<Worker>();

  constructor(readonly size: number) {}

  /** deflate compresses one block; the result depends only on the task, never on which thread ran it. */
  deflate(task: DeflateTask): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  /** close stops the threads; tasks still queued fail. */
  async close(): Promise<void> {
    const workers = [...this.live];
    await Promise.all(workers.map((worker) => worker.terminate()));
    for (const pending of this.queue.splice(0)) pending.reject(new KilnError('deflate: the pool was closed'));
  }

  private dispatch(): void {
    while (this.queue.length) {
      const worker = this.idle.pop() ?? (this.live.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.running.set(worker, pending);
      worker.ref();
      const { block, final, level } = pending.task;
      worker.postMessage({ id: 0, block, final, level });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: libdeflateModule() }, execArgv: [] });
    this.live.add(worker);
    worker.on('message', (message: { out?: Uint8Array; error?: string }) => {
      const pending = this.running.get(worker)!;
      this.running.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (message.error !== undefined) pending.reject(new KilnError(`deflate: ${message.error}`));
      else pending.resolve(Buffer.from(message.out!.buffer, message.out!.byteOffset, message.out!.byteLength));
      this.dispatch();
    });
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`exited with code ${code}`)));
    return worker;
  }

  private lost(worker: Worker, error: Error): void {
    if (!this.live.delete(worker)) return;
    const pending = this.running.get(worker);
    this.running.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    pending?.reject(new KilnError(`deflate worker failed: ${errorMessage(error)}`, { cause: error }));
    this.dispatch();
  }
}

let shared: DeflatePool | undefined;

/** deflatePool is the process's one pool, sized by KILN_THREADS (default: the cores available). */
export function deflatePool(): DeflatePool {
  shared ??= new DeflatePool(threadCount());
  return shared;
}
