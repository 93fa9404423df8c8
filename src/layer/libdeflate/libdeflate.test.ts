import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DEFLATE_CALL_SOURCE, deflateRaw, libdeflateModule } from './index.js';
import { LIBDEFLATE_WASM_BASE64, LIBDEFLATE_WASM_SHA256 } from './wasm.js';

type DeflateCall = (wasm: WebAssembly.Exports, data: Uint8Array, level: number, final: boolean) => Uint8Array;
const deflateCall = new Function(`${DEFLATE_CALL_SOURCE}\nreturn deflateCall;`)() as DeflateCall;
const instance = (): WebAssembly.Exports => new WebAssembly.Instance(libdeflateModule(), {}).exports;

function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let at = 0; at < size; at++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[at] = at % 3 === 0 ? state >>> 24 : 'kiln layer '.charCodeAt(at % 11);
  }
  return out;
}

test('the embedded module is the one build.sh recorded', () => {
  const digest = createHash('sha256').update(Buffer.from(LIBDEFLATE_WASM_BASE64, 'base64')).digest('hex');
  assert.equal(digest, LIBDEFLATE_WASM_SHA256);
});

test('a final stream inflates to its input at every level, for empty, tiny and large inputs', () => {
  for (const size of [0, 1, 31, 64, 4096, 300_000]) {
    for (const level of [1, 6, 9, 12]) {
      const data = noise(size, size + level);
      assert.ok(inflateRawSync(deflateRaw(data, level)).equals(data), `${size} bytes at level ${level}`);
    }
  }
});

test('streams ended by a sync flush concatenate with a final one into one stream that inflates to the whole input', () => {
  const wasm = instance();
  const parts = [noise(70_000, 1), noise(64, 2), noise(1 << 20, 3), noise(10, 4)];
  const deflated = parts.map((part, index) => deflateCall(wasm, part, 6, index === parts.length - 1));
  for (const part of deflated.slice(0, -1)) assert.deepEqual([...part.subarray(-4)], [0, 0, 0xff, 0xff], 'an empty stored block ends it');
  assert.ok(inflateRawSync(Buffer.concat(deflated)).equals(Buffer.concat(parts)));
});

test('a stream that is not final must be at least 64 bytes: libdeflate stores shorter inputs as a final block', () => {
  assert.throws(() => deflateCall(instance(), noise(63, 5), 6, false), /without ending the stream/);
  assert.throws(() => deflateCall(instance(), noise(100, 5), 13, true), /no memory|level 13/);
});

test('the bytes depend only on the input and level: a fresh instance, this thread and reuse agree', () => {
  const data = noise(200_000, 9);
  const wasm = instance();
  const first = deflateCall(wasm, data, 6, true);
  deflateCall(wasm, noise(5_000_000, 1), 9, false); // grows memory and leaves another level's compressor behind
  assert.ok(Buffer.from(deflateCall(wasm, data, 6, true)).equals(first));
  assert.ok(deflateRaw(data, 6).equals(first));
  assert.equal(createHash('sha256').update(first).digest('hex').length, 64);
});
