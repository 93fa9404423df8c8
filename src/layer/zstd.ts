// zstdFrames: a deterministic zstd stream for `tar+zstd` layers. The input is cut into ZSTD_FRAME_SIZE blocks, each
// compressed as its own zstd frame (RFC 8878 §3.1: a zstd stream is any sequence of frames, and every decoder,
// containerd's and Docker's included, reads them back to back). Independent frames keep memory bounded and the bytes
// a function of (input, level, the pinned zstd build) only. The compressor is zstd compiled to WebAssembly, so
// every machine and architecture runs the very same code: a native build could differ between platforms.
import { Transform, type TransformCallback } from 'node:stream';

/** ZSTD_FRAME_SIZE is the input size of each frame; part of the output, so fixed per kiln version. */
export const ZSTD_FRAME_SIZE = 4 * 1024 * 1024;

/** ZSTD_LEVEL is kiln's fixed zstd level (zstd's own default). */
export const ZSTD_LEVEL = 3;

/**
 * ZSTD_WASM_VERSION must equal package.json's exact pin of @bokuweb/zstd-wasm (a test checks): a bump can change
 * every zstd layer digest. ZSTD_FORMAT goes into cache keys.
 */
export const ZSTD_WASM_VERSION = '0.0.27';
export const ZSTD_FORMAT = `zstd-wasm-${ZSTD_WASM_VERSION}/frame-${ZSTD_FRAME_SIZE}/level-${ZSTD_LEVEL}`;

interface ZstdWasm {
  init(): Promise<void>;
  compress(data: Uint8Array, level?: number): Uint8Array;
}

let loaded: Promise<ZstdWasm> | undefined;

// Loaded on first use: only entries that ask for zstd pay for instantiating the WebAssembly module.
function zstdWasm(): Promise<ZstdWasm> {
  loaded ??= (async () => {
    // A CommonJS package: its API is the default export (named ones depend on Node's export detection).
    const imported = await import('@bokuweb/zstd-wasm') as unknown as { default?: ZstdWasm } & ZstdWasm;
    const zstd = imported.default ?? imported;
    await zstd.init();
    return zstd;
  })();
  return loaded;
}

/** zstdFrames returns a Transform that zstd-compresses what is written to it. */
export function zstdFrames(): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let frames = 0;

  const take = (bytes: number): Buffer => {
    const all = Buffer.concat(pending, pendingBytes);
    pending = bytes < all.length ? [all.subarray(bytes)] : [];
    pendingBytes = all.length - bytes;
    frames++;
    return all.subarray(0, bytes);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < ZSTD_FRAME_SIZE) return callback();
      zstdWasm().then((zstd) => {
        while (pendingBytes >= ZSTD_FRAME_SIZE) this.push(Buffer.from(zstd.compress(take(ZSTD_FRAME_SIZE), ZSTD_LEVEL)));
        callback();
      }, callback);
    },
    flush(callback: TransformCallback) {
      zstdWasm().then((zstd) => {
        // An empty input still gets one (empty) frame, so the blob is a valid zstd stream.
        if (pendingBytes > 0 || frames === 0) this.push(Buffer.from(zstd.compress(take(pendingBytes), ZSTD_LEVEL)));
        callback();
      }, callback);
    },
  });
}
