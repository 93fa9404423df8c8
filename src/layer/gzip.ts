// parallelGzip: a deterministic block-parallel gzip stream (pigz's scheme, its --independent mode), deflated by
// kiln's embedded libdeflate. The input is cut into GZIP_BLOCK_SIZE blocks; each is deflated on its own and ends
// with a sync flush, so the blocks concatenate into one deflate stream in one gzip member. The bytes depend only
// on (input, level, libdeflate's build): never on the thread count or on how Node was built.
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { deflatePool, type DeflatePool } from './deflate-pool.js';
import { deflateRaw, LIBDEFLATE_VERSION, LIBDEFLATE_WASM_SHA256 } from './libdeflate/index.js';

/**
 * GZIP_BLOCK_SIZE is the input block size; part of the output, so fixed per kiln version. A block starts with
 * no history (libdeflate takes no preset dictionary), so blocks are larger than pigz's 128 KiB: at 512 KiB the
 * fresh starts cost about 0.3% of size, and a layer still spreads over every thread.
 */
export const GZIP_BLOCK_SIZE = 512 * 1024;

/** GZIP_FORMAT names everything besides the level that decides the bytes; it goes into layer cache keys. */
export const GZIP_FORMAT = `libdeflate-${LIBDEFLATE_VERSION}-${LIBDEFLATE_WASM_SHA256.slice(0, 12)}/block-${GZIP_BLOCK_SIZE}`;

// RFC 1952 header: no name, mtime 0, no extra flags, OS 3 (Unix), as `gzip -n` and zlib write on Linux.
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** ParallelGzipOptions tune one stream; only `level` affects the bytes. */
export interface ParallelGzipOptions {
  level: number;
  pool?: DeflatePool;
  /** inFlight bounds the blocks read but not yet written (memory: about 2 x inFlight x the block size). */
  inFlight?: number;
}

/** parallelGzip returns a Transform that gzips what is written to it, on the pool's worker threads. */
export function parallelGzip(options: ParallelGzipOptions): Transform {
  const pool = options.pool ?? deflatePool();
  const limit = Math.max(2, options.inFlight ?? pool.size * 2);
  const queued: Promise<Buffer>[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let crc = 0;
  let size = 0;

  const submit = (block: Buffer, final: boolean): void => {
    // A stream of one block (an app layer, most often) is deflated right here: starting a worker thread would cost
    // more than the deflate. The same module gives the same bytes on any thread.
    const alone = final && size === 0;
    // Node's crc32 gives 0 for an empty buffer over an empty ArrayBuffer, not the running value: skip empty blocks.
    if (block.length) crc = crc32(block, crc);
    size += block.length;
    const result = alone ? Promise.resolve(deflateRaw(block, options.level)) : pool.deflate({ block, final, level: options.level });
    result.catch(() => {}); // Awaited in order below; this only keeps an early failure from going unhandled.
    queued.push(result);
  };

  // take cuts the first `bytes` pending bytes into a block of their own (a whole ArrayBuffer, which deflate takes over).
  const take = (bytes: number): Buffer => {
    const block = pool.blockBuffer(bytes);
    let filled = 0;
    while (filled < bytes) {
      const head = pending[0]!;
      const used = head.copy(block, filled, 0, Math.min(head.length, bytes - filled));
      filled += used;
      if (used === head.length) pending.shift();
      else pending[0] = head.subarray(used);
    }
    pendingBytes -= bytes;
    return block;
  };

  return new Transform({
    construct(callback) {
      this.push(HEADER);
      callback();
    },
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      const drain = async (): Promise<void> => {
        while (pendingBytes >= GZIP_BLOCK_SIZE) {
          submit(take(GZIP_BLOCK_SIZE), false);
          while (queued.length >= limit) this.push(await queued.shift()!);
        }
      };
      drain().then(() => callback(), callback);
    },
    flush(callback: TransformCallback) {
      const finish = async (): Promise<void> => {
        submit(take(pendingBytes), true);
        while (queued.length) this.push(await queued.shift()!);
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(crc >>> 0, 0);
        trailer.writeUInt32LE(size % 2 ** 32, 4);
        this.push(trailer);
      };
      finish().then(() => callback(), callback);
    },
  });
}
