import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, link, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { readTar } from './tar-read.js';

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
