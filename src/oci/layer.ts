// Layer: a small read-only view of one filesystem change set, computed on demand.
import { createRequire } from 'node:module';
import { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { HashingStream, type Digest } from './digest.js';
import { layerCompression, MediaType } from './media-types.js';
import { errorMessage, InputError, IntegrityError } from '../errors.js';

/** Layer is what every image source and builder speaks: digests, sizes and the bytes both ways. */
export interface Layer {
  /** mediaType of the compressed blob as a manifest lists it. */
  readonly mediaType: string;
  /** digest of the compressed blob (what a manifest points at). */
  digest(): Promise<Digest>;
  /** diffId is the digest of the uncompressed tar (what the config's rootfs lists). */
  diffId(): Promise<Digest>;
  /** size of the compressed blob in bytes. */
  size(): Promise<number>;
  /** uncompressedSize of the tar in bytes. */
  uncompressedSize(): Promise<number>;
  /** compressed opens the blob as stored in a registry or layout. */
  compressed(): Promise<Readable>;
  /** uncompressed opens the tar stream. */
  uncompressed(): Promise<Readable>;
}

/** BlobLayerInit describes a stored blob whose digests are already known. */
export interface BlobLayerInit {
  mediaType: string;
  digest: Digest;
  size: number;
  diffId: Digest;
  uncompressedSize?: number;
  open: () => Promise<Readable>;
}

/** decompressor returns a stream that undoes a layer media type's compression. */
export function decompressor(mediaType: string): NodeJS.ReadWriteStream | undefined {
  const compression = layerCompression(mediaType);
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return zstdStream();
  if (compression === 'none') return undefined;
  throw new InputError(`unsupported layer media type ${mediaType}`);
}

function zstdStream(): NodeJS.ReadWriteStream {
  // fzstd is a pure-JS streaming decoder; wrap it as a Node duplex. Loaded here, when a zstd layer is read: a build
  // of gzip layers never needs it.
  const { Decompress } = createRequire(import.meta.url)('fzstd') as typeof import('fzstd');
  const output = new Readable({ read() {} });
  const decoder = new Decompress((chunk, final) => {
    output.push(Buffer.from(chunk));
    if (final) output.push(null);
  });
  const input = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try { decoder.push(chunk); callback(); } catch (error) { callback(error as Error); }
    },
    final(callback) {
      try { decoder.push(new Uint8Array(0), true); callback(); } catch (error) { callback(error as Error); }
    },
  });
  return Duplex.from({ writable: input, readable: output }) as NodeJS.ReadWriteStream;
}

/** blobLayer wraps a stored compressed blob with known digests. */
export function blobLayer(init: BlobLayerInit): Layer {
  let uncompressedSize = init.uncompressedSize;
  const layer: Layer = {
    mediaType: init.mediaType,
    digest: async () => init.digest,
    diffId: async () => init.diffId,
    size: async () => init.size,
    compressed: init.open,
    async uncompressed() {
      const raw = await init.open();
      const inflate = decompressor(init.mediaType);
      return inflate ? (raw.pipe(inflate) as unknown as Readable) : raw;
    },
    async uncompressedSize() {
      if (uncompressedSize === undefined) {
        const counter = new HashingStream();
        try {
          await pipeline(await layer.uncompressed(), counter, new Writable({ write: (_c, _e, cb) => cb() }));
        } catch (error) {
          // A blob that does not inflate is damaged: say which, in kiln's terms, not zlib's.
          throw new IntegrityError(`layer ${init.digest}: corrupt blob: ${errorMessage(error)}`, { cause: error });
        }
        uncompressedSize = counter.bytes;
      }
      return uncompressedSize;
    },
  };
  return layer;
}

/** ociLayerMediaType maps Docker layer media types to their OCI equivalents; the bytes are the same. */
export function ociLayerMediaType(mediaType: string): string {
  if (mediaType === MediaType.dockerLayerGzip) return MediaType.ociLayerGzip;
  return mediaType;
}
