import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IntegrityError } from '../../errors.js';
import { writeWheel } from '../../testing/wheels.js';
import { installWheel } from './install.js';
import { WheelSource } from './source.js';
import { TarDestination } from './tar-destination.js';
import { DirectoryDestination } from './directory-destination.js';
import { buildLayer } from '../../layer/build.js';
import { BlobStore } from '../../cache/blob-store.js';

const run = promisify(execFile);
const child = new URL('../../testing/install-wheel-process.ts', import.meta.url).pathname;

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-inflate-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

// A member of zeros deflates about 1000:1, so a wheel of a few hundred KB inflates to this much.
const BOMB = 256 * 1024 * 1024;

async function installInChild(wheel: string): Promise<{ maxRssBytes: number; uncompressedSize: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, wheel, join(work, 'store')], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as { maxRssBytes: number; uncompressedSize: number };
}

// Sets the uncompressed size the central directory declares for `member`, leaving the data alone.
function declareSize(zip: Buffer, member: string, size: number): Buffer {
  const name = Buffer.from(member);
  for (let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    if (zip.subarray(at + 46, at + 46 + zip.readUInt16LE(at + 28)).equals(name)) {
      zip.writeUInt32LE(size, at + 24);
      return zip;
    }
  }
  throw new Error(`no central record for ${member}`);
}

test('a .data/scripts member that inflates to hundreds of MB is streamed, not held in memory', { timeout: 180_000 }, async () => {
  const script = Buffer.alloc(BOMB);
  script.write('#!python\n');
  const wheel = await writeWheel(work, { name: 'bomb', version: '1.0', data: { scripts: { tool: { data: script, mode: 0o755 } } } });
  const { maxRssBytes, uncompressedSize } = await installInChild(wheel);
  assert.ok(uncompressedSize > BOMB, `layer holds the whole script (${uncompressedSize} bytes)`);
  assert.ok(maxRssBytes < 400 * 1024 * 1024, `peak RSS ${Math.round(maxRssBytes / 2 ** 20)} MB for a ${BOMB / 2 ** 20} MB script`);
});

test('a member that inflates past the size its zip directory declares is an IntegrityError naming wheel and member', async () => {
  const path = await writeWheel(work, { name: 'liar-size', version: '1.0', files: { 'liar_size/big.bin': Buffer.alloc(1 << 20) } });
  await writeFile(path, declareSize(await readFile(path), 'liar_size/big.bin', 1000));
  const message = /^liar_size-1\.0-py3-none-any\.whl: "liar_size\/big\.bin" inflates to more than the 1000 bytes its zip directory declares$/;
  for (const into of ['tar', 'directory'] as const) {
    const source = await WheelSource.open(path);
    try {
      await assert.rejects(async () => {
        if (into === 'directory') {
          await installWheel(source, new DirectoryDestination(join(work, 'liar-dir')), { pythonVersion: '3.11' });
          return;
        }
        const destination = new TarDestination(source.name);
        await installWheel(source, destination, { pythonVersion: '3.11' });
        await buildLayer(destination.entries, { store: new BlobStore(join(work, 'store')), epoch: 0 });
      }, (error: Error) => error instanceof IntegrityError && message.test(error.message), into);
    } finally {
      await source.close();
    }
  }
  await assert.rejects(
    installInChild(path),
    (error: Error & { stderr: string }) => message.test(error.stderr.trim()) && error.stderr.trim().split('\n').length === 1,
  );
});
