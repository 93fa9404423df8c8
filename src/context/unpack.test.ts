import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { tempDir } from '../testing/images.js';
import { unpackContext } from './unpack.js';

async function tarGz(entries: Array<Partial<Header> & { name: string; data?: string }>): Promise<Buffer> {
  const packer = pack();
  for (const { data, ...header } of entries) packer.entry(header as Header, data ?? '');
  packer.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of packer) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const open = (data: Buffer) => async () => Readable.from([data]);

test('unpackContext restores files, modes, relative symlinks and hard links under tree/ and cache/', async () => {
  const dir = join(await tempDir(), 'ctx');
  await unpackContext(dir, open(await tarGz([
    { name: 'tree', type: 'directory', mode: 0o755 },
    { name: 'tree/app', type: 'directory', mode: 0o750 },
    { name: 'tree/app/run.sh', mode: 0o755, data: 'echo hi\n' },
    { name: 'tree/app/data.txt', mode: 0o600, data: 'data' },
    { name: 'tree/app/same.txt', type: 'link', linkname: 'tree/app/data.txt' },
    { name: 'tree/app/current', type: 'symlink', linkname: 'run.sh' },
    { name: 'cache/sources/x/file', mode: 0o644, data: 'x' },
  ])), 'context test');
  assert.equal((await stat(join(dir, 'tree/app/run.sh'))).mode & 0o7777, 0o755);
  assert.equal((await stat(join(dir, 'tree/app/data.txt'))).mode & 0o7777, 0o600);
  assert.equal((await stat(join(dir, 'tree/app'))).mode & 0o7777, 0o750);
  assert.equal((await stat(join(dir, 'tree/app/same.txt'))).ino, (await stat(join(dir, 'tree/app/data.txt'))).ino);
  assert.equal(await readlink(join(dir, 'tree/app/current')), 'run.sh');
  assert.equal(await readFile(join(dir, 'cache/sources/x/file'), 'utf8'), 'x');
  // A second unpack of the same digest's folder leaves it as it is.
  await unpackContext(dir, open(Buffer.from('not even gzip')), 'context test');
  assert.deepEqual((await readdir(join(dir, '..'))).sort(), ['ctx']);
});

const hostile: Array<[string, Array<Partial<Header> & { name: string; data?: string }>, RegExp]> = [
  ['a path with ..', [{ name: 'tree/../../escape', data: 'x' }], /escapes the image root/],
  ['a path outside tree/ and cache/', [{ name: 'etc/passwd', data: 'x' }], /outside tree\/ and cache\//],
  ['an absolute symlink', [{ name: 'tree/link', type: 'symlink', linkname: '/etc' }], /leaves the context/],
  ['a symlink out of the folder', [{ name: 'tree/link', type: 'symlink', linkname: '../../..' }], /leaves the context/],
  ['a file written through a symlink', [{ name: 'tree/dir', type: 'directory' }, { name: 'tree/link', type: 'symlink', linkname: 'dir' }, { name: 'tree/link/file', data: 'x' }], /through a symlink/],
  ['a hard link to a file not unpacked', [{ name: 'tree/link', type: 'link', linkname: 'cache/elsewhere' }], /names no file unpacked before it/],
  ['a device', [{ name: 'tree/dev', type: 'character-device', devmajor: 1, devminor: 3 }], /never holds/],
  ['a duplicate file', [{ name: 'tree/a', data: 'x' }, { name: 'tree/a', data: 'y' }], /cannot unpack/],
];

for (const [what, entries, message] of hostile) {
  test(`unpackContext refuses ${what} and leaves no folder`, async () => {
    const root = await tempDir();
    const dir = join(root, 'ctx');
    await assert.rejects(unpackContext(dir, open(await tarGz(entries)), 'context test'), message);
    assert.deepEqual(await readdir(root), []);
    await assert.rejects(lstat(join(root, 'escape')), /ENOENT/);
  });
}

test('unpackContext refuses a blob that is not gzip', async () => {
  const root = await tempDir();
  await assert.rejects(unpackContext(join(root, 'ctx'), open(Buffer.from('plain text')), 'context test'), /context test: cannot unpack the files/);
  assert.deepEqual(await readdir(root), []);
});
