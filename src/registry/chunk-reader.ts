// Reads a stream in exact-size pieces, for chunked uploads whose chunks must be a fixed length.
import type { Readable } from 'node:stream';

/** ChunkReader hands out the next `n` bytes of a stream (fewer only at its end). */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(private readonly stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** read returns up to `n` bytes; an empty buffer means the stream has ended. */
  async read(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        const chunk = Buffer.from(next.value);
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
    }
    const all = Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  /** skip discards `n` bytes (to resume an upload part-way). */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const piece = await this.read(Math.min(left, 1 << 20));
      if (piece.length === 0) return;
      left -= piece.length;
    }
  }

  /** close stops reading and releases the stream. */
  close(): void {
    this.stream.destroy();
  }
}
