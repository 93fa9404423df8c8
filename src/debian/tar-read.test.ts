import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, link, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { readTar, TarScanner } from './tar-read.js';

const run = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'kiln-tar-read-'));
after(() => rm(dir, { recursive: true, force: true }));

const longDir = `${'d'.repeat(90)}/${'e'.repeat(90)}`;
const tree = join(dir, 'tree');
await mkdir(join(tree, longDir), { recursive: true });
await writeFile(join(tree, longDir, 'file.txt'), 'long path content');
await chmod(join(tree, longDir, 'file.txt'), 0o600);
await symlink(`../${'t'.repeat(150)}`, join(tree, 'long-link'));
await link(join(tree, longDir, 'file.txt'), join(tree, 'hard'));

for (const format of ['gnu', 'pax'] as const) {
  test(`readTar reads GNU tar's ${format} format: long names, long link targets, hardlinks, modes`, async () => {
    const archive = join(dir, `${format}.tar`);
    await run('tar', [`--format=${format}`, '-cf', archive, '-C', tree, '.']);
    const entries = new Map(readTar(await readFile(archive), format).map((e) => [e.name.replace(/^\.\//, ''), e]));
    // tar stores whichever of the two names it meets first as the file, the other as a hardlink to it.
    const pair = [entries.get(`${longDir}/file.txt`), entries.get('hard')];
    const file = pair.find((e) => e?.type === 'file');
    const hard = pair.find((e) => e?.type === 'hardlink');
    assert.equal(file?.data.toString(), 'long path content');
    assert.equal(file?.mode, 0o600);
    assert.equal(hard?.linkname.replace(/^\.\//, ''), file === pair[0] ? `${longDir}/file.txt` : 'hard');
    assert.equal(entries.get('long-link')?.linkname, `../${'t'.repeat(150)}`);
  });
}

test('readTar rejects a header whose checksum does not match', async () => {
  const archive = Buffer.from(await readFile(join(dir, 'gnu.tar')));
  archive[0] = archive[0]! ^ 1;
  assert.throws(() => readTar(archive, 'x.tar'), (error: unknown) => error instanceof InputError && /^x\.tar: tar header checksum mismatch at byte 0$/.test(error.message));
});

test('TarScanner finds the same members as readTar whatever the chunk sizes, and where each file lies', async () => {
  const archive = await readFile(join(dir, 'pax.tar'));
  const whole = readTar(archive, 'pax');
  for (const size of [1, 7, 511, 512, 513, 4096, archive.length]) {
    const scanner = new TarScanner('pax');
    for (let at = 0; at < archive.length; at += size) scanner.push(archive.subarray(at, at + size));
    const members = scanner.end();
    assert.deepEqual(members.map(({ offset, size: length, ...rest }) => ({ ...rest, data: archive.subarray(offset, offset + length) })), whole, `chunks of ${size}`);
  }
});

test('TarScanner refuses an archive that stops inside a member\'s data', async () => {
  const archive = await readFile(join(dir, 'gnu.tar'));
  const members = readTar(archive, 'gnu');
  const file = members.find((member) => member.type === 'file')!;
  const cut = archive.subarray(0, file.data.byteOffset - archive.byteOffset + 3);
  const scanner = new TarScanner('cut.tar');
  scanner.push(cut);
  assert.throws(() => scanner.end(), (error: unknown) => error instanceof InputError && /^cut\.tar: tar member at byte \d+ is truncated$/.test(error.message));
  assert.throws(() => readTar(cut, 'cut.tar'), /is truncated/);
});
