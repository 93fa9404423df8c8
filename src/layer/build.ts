// buildLayer: entries -> deterministic tar -> gzip, hashed in one streaming pass into the blob store.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore } from '../cache/blob-store.js';
import { HashingStream, sha256, type Digest } from '../oci/digest.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import { MediaType } from '../oci/media-types.js';
import type { TarEntry } from '../tar/entry.js';
import { GZIP_FORMAT, parallelGzip } from './gzip.js';
import { tarSizeEstimate, writeTar } from '../tar/write.js';
import type { Progress } from '../progress.js';

/** BuiltLayer is a Layer kiln made, with the facts the CLI reports about it. */
export interface BuiltLayer {
  layer: Layer;
  digest: Digest;
  diffId: Digest;
  size: number;
  uncompressedSize: number;
  /** fromCache is true when the cache key matched and no tar was written. */
  fromCache: boolean;
}

/** BuildLayerOptions configure one layer build. */
export interface BuildLayerOptions {
  store: BlobStore;
  epoch: number;
  /** cacheKey: a digest of everything that determines the layer; a hit skips writing the tar. */
  cacheKey?: string;
  addParents?: boolean;
  /** gzipLevel 1..9; part of the output, so it is fixed per kiln version. */
  gzipLevel?: number;
  /** progress is told the tar bytes compressed (a `compress` task named `what`); a cache hit tells nothing. */
  progress?: Progress;
  what?: string;
}

interface LayerMemo {
  digest: Digest;
  diffId: Digest;
  size: number;
  uncompressedSize: number;
}

/**
 * GZIP_LEVEL is kiln's fixed compression level: changing it changes every digest, as do GZIP_BLOCK_SIZE and
 * the embedded libdeflate build (all three are in GZIP_FORMAT and the layer cache keys).
 */
export const GZIP_LEVEL = 6;

function layerFromMemo(store: BlobStore, memo: LayerMemo): Layer {
  return blobLayer({
    mediaType: MediaType.ociLayerGzip,
    digest: memo.digest,
    size: memo.size,
    diffId: memo.diffId,
    uncompressedSize: memo.uncompressedSize,
    open: () => store.open(memo.digest),
  });
}

function layerMemoKey(options: BuildLayerOptions): string | undefined {
  return options.cacheKey ? sha256(`${options.cacheKey}\0epoch=${options.epoch}\0gzip=${GZIP_FORMAT}/${options.gzipLevel ?? GZIP_LEVEL}`).slice(7) : undefined;
}

/** GzipOfTar is the gzip blob kiln made of a tar, with the tar's digest and size. */
export type GzipOfTar = LayerMemo;

const gzipMemoKey = (diffId: Digest): string => sha256(`${diffId}\0gzip=${GZIP_FORMAT}/${GZIP_LEVEL}`).slice(7);

/**
 * rememberGzip records which gzip blob holds a tar (by diffId). A tar that comes back uncompressed (from
 * `docker save`, say: the base layers kiln handed to Docker) is then not deflated again, and gets the very blob,
 * and so the digest, it had before.
 */
export async function rememberGzip(store: BlobStore, gzip: GzipOfTar): Promise<void> {
  await store.setMemo('gzip-of-tar', gzipMemoKey(gzip.diffId), gzip);
}

/** gzipOfTar returns the gzip blob recorded for a tar, if it is still in the store. */
export async function gzipOfTar(store: BlobStore, diffId: Digest): Promise<GzipOfTar | undefined> {
  const memo = await store.getMemo<GzipOfTar>('gzip-of-tar', gzipMemoKey(diffId));
  return memo && memo.diffId === diffId && (await store.has(memo.digest)) ? memo : undefined;
}

/** cachedLayer returns the layer a previous buildLayer made for the same cacheKey, without needing its entries. */
export async function cachedLayer(options: BuildLayerOptions): Promise<BuiltLayer | undefined> {
  const memoKey = layerMemoKey(options);
  if (!memoKey) return undefined;
  const memo = await options.store.getMemo<LayerMemo>('layer', memoKey);
  if (!memo || !(await options.store.has(memo.digest))) return undefined;
  return { ...memo, layer: layerFromMemo(options.store, memo), fromCache: true };
}

/** buildLayer writes a gzip layer for the entries and returns it; identical entries give identical digests. */
export async function buildLayer(entries: readonly TarEntry[], options: BuildLayerOptions): Promise<BuiltLayer> {
  const { store } = options;
  const memoKey = layerMemoKey(options);
  const cached = await cachedLayer(options);
  if (cached) return cached;
  const temp = await store.tempPath();
  const tarHash = new HashingStream();
  const gzipHash = new HashingStream();
  const task = options.progress?.task('compress', options.what ?? 'layer', tarSizeEstimate(entries));
  try {
    await pipeline(
      writeTar(entries, { epoch: options.epoch, addParents: options.addParents ?? true }),
      tarHash,
      ...(task ? [counting((bytes) => task.add(bytes))] : []),
      parallelGzip({ level: options.gzipLevel ?? GZIP_LEVEL }),
      gzipHash,
      createWriteStream(temp),
    );
    const memo: LayerMemo = { digest: gzipHash.digest(), diffId: tarHash.digest(), size: gzipHash.bytes, uncompressedSize: tarHash.bytes };
    if (await store.has(memo.digest)) await rm(temp, { force: true });
    else await store.commit(temp, memo.digest);
    if (memoKey) await store.setMemo('layer', memoKey, memo);
    if ((options.gzipLevel ?? GZIP_LEVEL) === GZIP_LEVEL) await rememberGzip(store, memo);
    task?.end(memo.uncompressedSize);
    return { ...memo, layer: layerFromMemo(store, memo), fromCache: false };
  } finally {
    await rm(temp, { force: true });
  }
}

// counting passes chunks through and reports their sizes.
function counting(onBytes: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}
