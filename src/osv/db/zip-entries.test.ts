import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../errors.js';
import { tempDir } from '../../testing/images.js';
import { writeZip } from '../../testing/osv.js';
import { zipEntries } from './zip-entries.js';

async function all(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of zipEntries(path)) names.push(`${entry.name}=${entry.data.toString()}`);
  return names;
}

const FILES = [{ name: 'A-1.json', data: '{"id":"A-1"}'.repeat(50) }, { name: 'B-2.json', data: '{"id":"B-2"}'.repeat(50) }];

test('zipEntries yields every file with its content', async () => {
  const path = join(await tempDir(), 'all.zip');
  await writeZip(path, FILES);
  assert.deepEqual(await all(path), FILES.map((file) => `${file.name}=${file.data}`));
});

test('a flipped bit in an entry is an IntegrityError naming the zip and the entry, not a short read', async () => {
  const path = join(await tempDir(), 'all.zip');
  // Stored (uncompressed) bytes so the flip changes the content and only the CRC can notice.
  const yazl = (await import('yazl')).default;
  const zip = new yazl.ZipFile();
  for (const file of FILES) zip.addBuffer(Buffer.from(file.data), file.name, { compress: false, mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const at = bytes.indexOf('"B-2"');
  bytes[at + 1] = 'C'.charCodeAt(0);
  await writeFile(path, bytes);
  await assert.rejects(all(path), (error: unknown) => error instanceof IntegrityError && error.message === `${path}: B-2.json: CRC-32 mismatch (the zip is corrupt)`);
});

test('a truncated zip is an IntegrityError, never an empty list', async () => {
  const path = join(await tempDir(), 'all.zip');
  await writeZip(path, FILES);
  const size = (await readFile(path)).length;
  await truncate(path, Math.floor(size / 2));
  await assert.rejects(all(path), (error: unknown) => error instanceof IntegrityError && error.message.startsWith(`${path}: not a readable zip (corrupt or truncated): `));
});

test('a file that is not a zip at all is named as such', async () => {
  const path = join(await tempDir(), 'all.zip');
  await writeFile(path, 'not a zip\n');
  await assert.rejects(all(path), (error: unknown) => error instanceof IntegrityError && /not a readable zip/.test(error.message));
});
