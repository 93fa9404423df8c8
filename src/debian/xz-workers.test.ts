import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { xz } from '@napi-rs/lzma';
import { XzWorkers } from './xz-workers.js';

const pool = new XzWorkers(2);
after(() => pool.close());

function sample(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let at = 0; at < size; at++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[at] = at % 5 === 0 ? state >>> 24 : 0x61 + (at % 7);
  }
  return out;
}

async function decodeAll(data: Uint8Array): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of pool.decode(data)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('streams decode to their input, more of them at once than there are workers', async () => {
  const inputs = [sample(3 << 20, 1), sample(10, 2), sample(0, 3), sample(1 << 20, 4), sample(700_000, 5)];
  const compressed = await Promise.all(inputs.map((input) => xz.compress(input)));
  const decoded = await Promise.all(compressed.map(decodeAll));
  decoded.forEach((out, index) => assert.ok(out.equals(inputs[index]!), `stream ${index}`));
  const again = await Promise.all(compressed.map(decodeAll));
  again.forEach((out, index) => assert.ok(out.equals(inputs[index]!), `the caller's compressed bytes are intact: stream ${index}`));
});

test('leaving a stream early frees its worker for the next streams', async () => {
  const big = await xz.compress(sample(8 << 20, 6));
  for (let round = 0; round < 3; round++) {
    for await (const chunk of pool.decode(big)) {
      assert.ok(chunk.length > 0);
      break;
    }
  }
  const small = sample(50_000, 7);
  assert.ok((await decodeAll(await xz.compress(small))).equals(small));
});

test('damaged data is an error, and the pool still decodes afterwards', async () => {
  const good = await xz.compress(sample(200_000, 8));
  await assert.rejects(decodeAll(good.subarray(0, good.length >> 1)), 'a truncated stream');
  await assert.rejects(decodeAll(Buffer.from('not xz at all')));
  assert.ok((await decodeAll(good)).equals(sample(200_000, 8)));
});
