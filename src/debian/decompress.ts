// Decompression of .deb members by their name's suffix (gzip, xz, zstd or none): whole, or streamed in chunks.
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { xzWorkers } from './xz-workers.js';

const gunzipAsync = promisify(gunzip);

/** MEMBER_PATTERN matches the tar members a .deb may hold and captures the compression suffix. */
export const MEMBER_PATTERN = /^(control|data)\.tar(\.gz|\.xz|\.zst)?$/;

/**
 * decompressMember inflates `control.tar.*` or `data.tar.*` in one call per member, so the cost is linear
 * in its size (xz and gzip run off the main thread). `what` names the package in errors.
 */
export async function decompressMember(name: string, data: Buffer, what: string): Promise<Buffer> {
  const match = MEMBER_PATTERN.exec(name);
  if (!match) throw new InputError(`${what}: unsupported .deb member "${name}" (kiln reads .tar, .tar.gz, .tar.xz and .tar.zst)`);
  try {
    switch (match[2]) {
      case '.gz': return await gunzipAsync(data);
      case '.xz': return await (await import('@napi-rs/lzma')).xz.decompress(data);
      case '.zst': {
        const out = (await import('fzstd')).decompress(data);
        return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      }
      default: return data;
    }
  } catch (error) {
    throw new InputError(`${what}: cannot decompress ${name}: ${(error as Error).message}`, { cause: error });
  }
}

/** Slices fed to the zstd decoder: each yields at most a few blocks, so its output is drained before the next. */
const ZSTD_SLICE = 64 * 1024;

async function* zstdChunks(data: Buffer): AsyncGenerator<Uint8Array> {
  const { Decompress } = await import('fzstd');
  let out: Uint8Array[] = [];
  // Copied: a block may be a view into the decoder's window, which the next block overwrites.
  const decoder = new Decompress((chunk) => { if (chunk.length) out.push(Buffer.from(chunk)); });
  for (let at = 0; at < data.length || at === 0; at += ZSTD_SLICE) {
    decoder.push(data.subarray(at, at + ZSTD_SLICE), at + ZSTD_SLICE >= data.length);
    yield* out;
    out = [];
  }
}

function xzChunks(data: Buffer): AsyncGenerator<Uint8Array> {
  // On a worker thread: leaving the loop early (a bad tar header) stops that worker's decoding.
  return xzWorkers().decode(data);
}

/**
 * streamMember inflates a .deb member piece by piece, so no whole uncompressed copy exists: gzip runs on libuv's
 * thread pool, xz (WebAssembly xz-embedded) on kiln's xz worker threads and zstd on the main thread. Chunks are the caller's to keep.
 */
export async function* streamMember(name: string, data: Buffer, what: string): AsyncGenerator<Uint8Array> {
  const match = MEMBER_PATTERN.exec(name);
  if (!match) throw new InputError(`${what}: unsupported .deb member "${name}" (kiln reads .tar, .tar.gz, .tar.xz and .tar.zst)`);
  const chunks = match[2] === '.gz' ? createGunzip({ chunkSize: 256 * 1024 }).end(data)
    : match[2] === '.xz' ? xzChunks(data)
      : match[2] === '.zst' ? zstdChunks(data)
        : (async function* () { yield data; })();
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new InputError(`${what}: cannot decompress ${name}: ${(error as Error).message}`, { cause: error });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
