import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { InputError, UnsafePathError } from '../errors.js';
import { contentBytes, type TarEntry } from '../tar/entry.js';
import { writeTar } from '../tar/write.js';
import { buffer } from 'node:stream/consumers';
import { arArchive, buildTestDeb, handMadeDeb } from '../testing/deb-file.js';
import { parseAr } from './ar.js';
import { readDeb } from './deb.js';
import { controlField } from './control-file.js';

const dir = await mkdtemp(join(tmpdir(), 'kiln-deb-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const files = {
  'usr/bin/tool': { data: '#!/bin/sh\necho hi\n', mode: 0o755 },
  'usr/bin/tool-again': { hardlink: 'usr/bin/tool' },
  'usr/bin/helper': { symlink: 'tool' },
  'etc/app/secret.conf': { data: 'key=1\n', mode: 0o640, uid: 0, gid: 42 },
  'var/spool/app': { dir: true as const, mode: 0o1733 },
  'lib/x86_64-linux-gnu/libdemo.so.1.2': 'ELF-ish',
  'lib/x86_64-linux-gnu/libdemo.so.1': { symlink: 'libdemo.so.1.2' },
  'lib/x86_64-linux-gnu/libup.so': { symlink: '../../usr/lib/x86_64-linux-gnu/real.so' },
  'lib64/ld-demo.so.2': { symlink: '/lib/x86_64-linux-gnu/libdemo.so.1.2' },
  'sbin/daemon': { data: 'd', mode: 0o4755 },
};

function byPath(entries: TarEntry[]): Map<string, TarEntry> {
  return new Map(entries.map((entry) => [entry.path, entry]));
}

for (const compression of ['xz', 'zstd', 'gzip', 'none'] as const) {
  test(`readDeb reads data.tar (${compression}): files, modes, owners, links, merged /usr`, async () => {
    const { debPath } = await buildTestDeb(dir, { name: `demo-${compression}`, files, compression });
    const deb = await readDeb(debPath, `demo-${compression}`);
    assert.equal(controlField(deb.fields, 'Package'), `demo-${compression}`);
    assert.match(deb.control, /^Package: demo-/);
    assert.match(deb.md5sums ?? '', /^[0-9a-f]{32}  usr\/bin\/tool$/m);
    const entries = byPath(deb.entries);
    const tool = entries.get('usr/bin/tool');
    assert.equal(tool?.type, 'file');
    assert.equal(tool?.mode, 0o755);
    assert.equal(tool?.content?.kind === 'buffer' && tool.content.data.toString(), '#!/bin/sh\necho hi\n');
    assert.equal(tool?.mtime, 1700000000, 'original mtime kept (the writer clamps it)');
    assert.deepEqual(
      [entries.get('usr/bin/tool-again')?.type, entries.get('usr/bin/tool-again')?.linkTarget],
      ['hardlink', 'usr/bin/tool'],
    );
    assert.equal(entries.get('usr/bin/helper')?.linkTarget, 'tool');
    const secret = entries.get('etc/app/secret.conf');
    assert.deepEqual([secret?.mode, secret?.uid, secret?.gid], [0o640, 0, 42]);
    assert.equal(entries.get('var/spool/app')?.mode, 0o1733);
    assert.equal(entries.get('usr/sbin/daemon')?.mode, 0o4755, 'sbin/ moved under usr/, setuid kept');
    // Merged /usr: nothing stays under lib/, lib64/, sbin/; relative links still reach their targets.
    assert.ok(![...entries.keys()].some((path) => /^(lib|lib64|sbin|bin)(\/|$)/.test(path)));
    assert.equal(entries.get('usr/lib/x86_64-linux-gnu/libdemo.so.1')?.linkTarget, 'libdemo.so.1.2');
    assert.equal(entries.get('usr/lib/x86_64-linux-gnu/libup.so')?.linkTarget, 'real.so');
    assert.equal(entries.get('usr/lib64/ld-demo.so.2')?.linkTarget, '/lib/x86_64-linux-gnu/libdemo.so.1.2');
    assert.deepEqual([...deb.mergedDirs].sort(), ['lib', 'lib64', 'sbin']);
  });
}

test('readDeb drops a shipped top-level merged-usr link (trixie base-files) and keeps other top links', async () => {
  const { debPath } = await buildTestDeb(dir, {
    name: 'base-links',
    files: { 'usr/bin/x': 'x', bin: { symlink: 'usr/bin' }, 'etc/alt': { symlink: '/usr/bin/x' } },
  });
  const entries = byPath((await readDeb(debPath, 'base-links')).entries);
  assert.equal(entries.get('usr/bin')?.type, 'directory', 'the shipped bin link did not turn into a usr/bin link');
  assert.ok(!entries.has('bin'));
  assert.equal(entries.get('etc/alt')?.linkTarget, '/usr/bin/x');
});

test('readDeb refuses a data path that climbs out of the root, naming package and path', async () => {
  const deb = await handMadeDeb('evil', [{ name: './usr/' }, { name: './usr/../../etc/cron.d/x', data: 'boom' }]);
  await assert.rejects(readDeb(deb, 'evil'), (error: unknown) => {
    assert.ok(error instanceof UnsafePathError);
    assert.match(error.message, /^package evil: path "\.\/usr\/\.\.\/\.\.\/etc\/cron\.d\/x" escapes the image root$/);
    return true;
  });
});

test('readDeb refuses hardlinks out of the root or to files the package does not ship', async () => {
  const outside = await handMadeDeb('evil-link', [{ name: './etc/passwd', type: 'link', linkname: '../../etc/shadow' }]);
  await assert.rejects(readDeb(outside, 'evil-link'), (error: unknown) => error instanceof UnsafePathError && /package evil-link/.test(error.message));
  const host = await handMadeDeb('evil-host', [{ name: './etc/shadow-copy', type: 'link', linkname: '/etc/shadow' }]);
  await assert.rejects(readDeb(host, 'evil-host'), (error: unknown) =>
    error instanceof UnsafePathError && error.message === 'package evil-host: hardlink "etc/shadow-copy" points outside the package ("/etc/shadow")');
});

test('readDeb refuses compressions it does not read and non-.deb files with one clear line', async () => {
  const bz2 = await handMadeDeb('old', [{ name: './x', data: 'x' }], 'data.tar.bz2');
  await assert.rejects(readDeb(bz2, 'old'), (error: unknown) =>
    error instanceof InputError && error.message === 'package old: unsupported .deb member "data.tar.bz2" (kiln reads .tar, .tar.gz, .tar.xz and .tar.zst)');
  await assert.rejects(readDeb(Buffer.from('PK\x03\x04 not a deb'), 'zip'), /package zip: not an ar archive/);
  const good = await handMadeDeb('cut', [{ name: './x', data: 'x'.repeat(5000) }]);
  await assert.rejects(readDeb(good.subarray(0, good.length - 3000), 'cut'), /package cut: ar member "data.tar" is truncated/);
});

for (const compression of ['xz', 'zstd', 'gzip', 'none'] as const) {
  test(`readDeb with spillTo streams data.tar (${compression}) into a file and the layer written from it is byte-identical`, async () => {
    const name = `demo-spill-${compression}`;
    const { debPath } = await buildTestDeb(dir, { name, files: { ...files, 'usr/share/big': 'x'.repeat(3 << 20) }, compression });
    const inMemory = await readDeb(debPath, name);
    const spillTo = join(dir, `${name}.tar`);
    const spilled = await readDeb(debPath, name, { spillTo });
    const tool = byPath(spilled.entries).get('usr/bin/tool');
    assert.equal(tool?.content?.kind, 'file-range');
    assert.equal(contentBytes(tool!)?.toString(), '#!/bin/sh\necho hi\n');
    assert.equal(contentBytes(byPath(spilled.entries).get('usr/share/big')!)?.length, 3 << 20);
    const tar = async (entries: TarEntry[]): Promise<Buffer> => buffer(writeTar(entries, { epoch: 0 }));
    assert.ok((await tar(spilled.entries)).equals(await tar(inMemory.entries)), 'a 3 MiB file streams, small ones are read; same tar');
  });
}

test('readDeb with spillTo names the package and member when the data stream is corrupt or cut short', async () => {
  const { debPath } = await buildTestDeb(dir, { name: 'demo-bad', files: { ...files, 'usr/share/big': 'y'.repeat(1 << 20) }, compression: 'xz' });
  const good = await readFile(debPath);
  const corrupt = Buffer.from(good);
  const data = parseAr(corrupt, 'demo-bad').find((member) => member.name === 'data.tar.xz')!.data;
  data.fill(0x55, data.length >> 1, (data.length >> 1) + 64);
  await assert.rejects(readDeb(corrupt, 'demo-bad', { spillTo: join(dir, 'bad.tar') }), (error: unknown) =>
    error instanceof InputError && /^package demo-bad: cannot decompress data\.tar\.xz: /.test(error.message));
  // A bad tar header inside a sound xz stream stops the read early; the decoder is freed for the next package.
  const members = parseAr(good, 'demo-bad');
  const tar = Buffer.from(execFileSync('xz', ['-dc'], { maxBuffer: 64 << 20, input: members.find((member) => member.name === 'data.tar.xz')!.data }));
  tar.fill(0x41, 0, 100);
  const badTar = arArchive(members.map((member) => (member.name === 'data.tar.xz' ? { name: member.name, data: execFileSync('xz', ['-c'], { maxBuffer: 64 << 20, input: tar }) } : member)));
  await assert.rejects(readDeb(badTar, 'demo-bad', { spillTo: join(dir, 'bad-tar.tar') }), (error: unknown) =>
    error instanceof InputError && error.message === 'package demo-bad: data.tar.xz: tar header checksum mismatch at byte 0');
  assert.ok((await readDeb(good, 'demo-bad', { spillTo: join(dir, 'good.tar') })).entries.length > 0);
});
