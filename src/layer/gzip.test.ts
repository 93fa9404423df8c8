import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { sha256 } from '../oci/digest.js';
import { DeflatePool } from './deflate-pool.js';
import { GZIP_BLOCK_SIZE, parallelGzip } from './gzip.js';

const pools = new Map([1, 2, 4].map((n) => [n, new DeflatePool(n)]));
after(() => Promise.all([...pools.values()].map((pool) => pool.close())));

/** sample is compressible, not trivially so, and the same on every machine: words and noise from a fixed seed. */
function sample(size: number, seed = 1): Buffer {
  const words = ['lib', 'python3', 'usr/share/', 'numpy', '.so.1', '\0\0\0\0', 'import ', 'def ', '    return ', '\n'];
  const out = Buffer.alloc(size);
  let state = seed;
  const next = (): number => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return state >>> 0;
  };
  let at = 0;
  while (at < size) {
    const r = next();
    if (r % 4 === 0) out[at++] = r >>> 24;
    else at += out.write(words[r % words.length]!, at, 'latin1');
  }
  return out;
}

/** gzipWith gzips `data` on `threads` threads, written in chunks of `chunk` bytes. */
async function gzipWith(data: Buffer, threads: number, chunk = 65_537): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk));
  return buffer(Readable.from(pieces).pipe(parallelGzip({ level: 6, pool: pools.get(threads)! })));
}

const SIZES = [0, 1, GZIP_BLOCK_SIZE - 1, GZIP_BLOCK_SIZE, GZIP_BLOCK_SIZE + 1, 3 * GZIP_BLOCK_SIZE + 77];

test('the gzip bytes are the same on 1, 2 and 4 threads and however the input is chunked', async () => {
  for (const size of SIZES) {
    const data = sample(size, size + 1);
    const one = await gzipWith(data, 1);
    for (const [threads, chunk] of [[2, 65_537], [4, 65_537], [4, 1_000_003], [2, 4096]] as const) {
      assert.ok((await gzipWith(data, threads, chunk)).equals(one), `${size} bytes, ${threads} threads, ${chunk}-byte writes`);
    }
  }
});

test('the output is one gzip member that node:zlib and the system gunzip inflate to the input', async () => {
  for (const size of SIZES) {
    const data = sample(size, size + 7);
    const gz = await gzipWith(data, 2);
    assert.deepEqual([...gz.subarray(0, 4)], [0x1f, 0x8b, 8, 0], 'gzip magic, deflate, no flags');
    assert.ok(gunzipSync(gz).equals(data), `${size} bytes through node:zlib`);
    const system = spawnSync('gunzip', ['-c'], { input: gz, maxBuffer: 1 << 26 });
    assert.equal(system.status, 0, system.stderr.toString());
    assert.ok(system.stdout.equals(data), `${size} bytes through gunzip`);
    assert.equal(gz.readUInt32LE(gz.length - 4), size, 'ISIZE trailer');
  }
  const compressible = sample(4 * GZIP_BLOCK_SIZE);
  assert.ok((await gzipWith(compressible, 2)).length < compressible.length / 2, 'it compresses');
});

test('golden: a fixed input gives this digest on any machine (it changes only with the libdeflate build, the level or the block size)', async () => {
  const gz = await gzipWith(sample(5 * GZIP_BLOCK_SIZE + 12_345, 42), 2);
  assert.equal(sha256(gz), 'sha256:7016ce3b983d5b28994e0b7e14cea53cafc8218b4045af9083c70d7bfeebc0f8');
});
