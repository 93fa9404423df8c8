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
    // The block goes back too: the pool hands its memory to the next block instead of leaving it to the collector.
    parentPort.postMessage({ id, out, block }, [out.buffer, block.buffer]);
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

/**
 * DeflatePool runs deflate tasks on up to `size` worker threads, first come first served. A block is moved to its
 * thread and back, not copied, and its memory serves a later block (blockBuffer): gzipping a layer then allocates
 * only its output, instead of two copies of every block left for two threads' collectors to find.
 */
export class DeflatePool {
  private readonly spare: ArrayBuffer[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly live = new Set<Worker>();

  constructor(readonly size: number) {}

  /**
   * blockBuffer is memory for a block of `bytes` to give to deflate, which takes it over: a block's memory that came
   * back from its thread, or new.
   */
  blockBuffer(bytes: number): Buffer {
    const at = this.spare.findIndex((buffer) => buffer.byteLength === bytes);
    return at >= 0 ? Buffer.from(this.spare.splice(at, 1)[0]!) : Buffer.allocUnsafeSlow(bytes);
  }

  /** deflate compresses one block, whose memory it takes over; the result depends only on the task, never on which thread ran it. */
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
      // Moved when the block owns its whole ArrayBuffer (blockBuffer's do); a view into a larger one is copied.
      const whole = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength && !(block.buffer instanceof SharedArrayBuffer);
      worker.postMessage({ id: 0, block, final, level }, whole ? [block.buffer as ArrayBuffer] : []);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: libdeflateModule() }, execArgv: [] });
    this.live.add(worker);
    worker.on('message', (message: { out?: Uint8Array; block?: Uint8Array; error?: string }) => {
      // Kept for the next blocks: as many as can be in flight, at most.
      if (message.block?.byteLength && this.spare.length < this.size * 4) this.spare.push(message.block.buffer as ArrayBuffer);
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
