import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from './blob-store.js';
import { FileDigests } from './file-digests.js';
import { RACY_WINDOW_NS } from './racy.js';
import { tempDir } from '../testing/images.js';

const hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const now = (): bigint => BigInt(Date.now()) * 1_000_000n;

test('a file whose stat is unchanged is not read again; an edit that keeps size and mtime is still seen', async () => {
  const dir = await tempDir();
  const store = new BlobStore(join(dir, 'cache'));
  const file = join(dir, 'app.py');
  await writeFile(file, 'print(1)\n');
  const first = await FileDigests.open(store, dir);
  assert.equal(await first.sha256(file), hex('print(1)\n'));
  await first.save();
  assert.deepEqual(first.stats, { hashed: 1, trusted: 0 });

  // Just written: racily clean, so read again even though nothing changed.
  const racy = await FileDigests.open(store, dir);
  assert.equal(await racy.sha256(file), hex('print(1)\n'));
  assert.deepEqual(racy.stats, { hashed: 1, trusted: 0 });
  await racy.save();

  // Later, and recorded well after the file last changed (as a later clock says): trusted without reading.
  const later = () => now() + 2n * RACY_WINDOW_NS;
  const recorded = await FileDigests.open(store, dir, later);
  await recorded.sha256(file);
  await recorded.save();
  const warm = await FileDigests.open(store, dir, () => later() + RACY_WINDOW_NS);
  assert.equal(await warm.sha256(file), hex('print(1)\n'));
  assert.deepEqual(warm.stats, { hashed: 0, trusted: 1 });

  // Same size, mtime put back: the ctime moved, so the new content is read.
  const { mtime } = await stat(file);
  await writeFile(file, 'print(2)\n');
  await utimes(file, mtime, mtime);
  const edited = await FileDigests.open(store, dir, () => later() + RACY_WINDOW_NS);
  assert.equal(await edited.sha256(file), hex('print(2)\n'));
  assert.deepEqual(edited.stats, { hashed: 1, trusted: 0 });
});

test('without a store every file is read', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a'), 'a');
  const digests = await FileDigests.open(undefined, dir);
  assert.equal(await digests.sha256(join(dir, 'a')), hex('a'));
  await digests.save();
  assert.deepEqual(digests.stats, { hashed: 1, trusted: 0 });
});
