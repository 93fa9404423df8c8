import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { sha256 } from '../oci/digest.js';
import { decompressor } from '../oci/layer.js';
import { MediaType } from '../oci/media-types.js';
import { ZSTD_FRAME_SIZE, ZSTD_WASM_VERSION, zstdFrames } from './zstd.js';

function sample(size: number, seed = 7): Buffer {
  const words = ['lib', 'python3', 'usr/share/', 'numpy', '.so.1', '\0\0\0\0', 'import ', '\n'];
  const out = Buffer.alloc(size);
  let state = seed;
  let at = 0;
  while (at < size) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    const r = state >>> 0;
    if (r % 4 === 0) out[at++] = r >>> 24;
    else at += out.write(words[r % words.length]!, at, 'latin1');
  }
  return out;
}

async function zstdOf(data: Buffer, chunk: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk));
  return buffer(Readable.from(pieces).pipe(zstdFrames()));
}

const SIZES = [0, 1, ZSTD_FRAME_SIZE - 1, ZSTD_FRAME_SIZE, 2 * ZSTD_FRAME_SIZE + 4099];

test('zstd layers: the bytes depend on the input only, not on how it is written in chunks', async () => {
  for (const size of SIZES) {
    const data = sample(size);
    const a = await zstdOf(data, 65_536);
    const b = await zstdOf(data, 1_000_003);
    assert.equal(sha256(a), sha256(b), `size ${size}`);
  }
});

test('zstd layers: frames read back with the zstd CLI and with kiln\'s own reader, byte for byte', async () => {
  for (const size of SIZES) {
    const data = sample(size);
    const compressed = await zstdOf(data, 65_536);
    assert.ok(size < 1000 || compressed.length < size, 'it compresses');
    const cli = spawnSync('zstd', ['-d', '-c'], { input: compressed, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(cli.status, 0, cli.stderr?.toString());
    assert.ok(cli.stdout.equals(data), `zstd -d, size ${size}`);
    const reader = decompressor(MediaType.ociLayerZstd)!;
    const back = await buffer(Readable.from([compressed]).pipe(reader as unknown as NodeJS.WritableStream & NodeJS.ReadableStream));
    assert.ok(back.equals(data), `kiln reader, size ${size}`);
  }
});

test('zstd layers: a golden digest, so a changed compressor cannot slip in unnoticed', async () => {
  const compressed = await zstdOf(sample(ZSTD_FRAME_SIZE + 1000), 65_536);
  assert.equal(sha256(compressed), GOLDEN);
});

test('zstd layers: ZSTD_WASM_VERSION is the exact version package.json pins', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(pkg.dependencies['@bokuweb/zstd-wasm'], ZSTD_WASM_VERSION);
});

const GOLDEN = 'sha256:920855c1202b0c8ac48ab33bbcf6af96ecee2b05fd13b57c21e1f69988a2c1b6';
