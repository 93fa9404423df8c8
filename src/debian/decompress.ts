// Whole-buffer decompression of .deb members by their name's suffix: gzip, xz, zstd or none.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InputError } from '../errors.js';

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
