import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { writeTar } from './write.js';
import type { TarEntry } from './entry.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function listTar(data: Buffer): Promise<Array<{ name: string; type: string; mode: number; mtime: number; uid: number; linkname: string | null }>> {
  const out: Array<{ name: string; type: string; mode: number; mtime: number; uid: number; linkname: string | null }> = [];
  const ex = extract();
  Readable.from([data]).pipe(ex);
  for await (const entry of ex) {
    const h = entry.header;
    out.push({ name: h.name, type: h.type as string, mode: h.mode, mtime: h.mtime.getTime() / 1000, uid: h.uid, linkname: h.linkname || null });
    entry.resume();
  }
  return out;
}

const entries: TarEntry[] = [
  { path: 'app/main.py', type: 'file', mode: 0o644, content: { kind: 'buffer', data: Buffer.from('print(1)\n') }, mtime: 2e9 },
  { path: 'app/bin/run', type: 'symlink', mode: 0o777, linkTarget: '../main.py' },
  { path: 'etc/gone', type: 'whiteout', mode: 0 },
  { path: `deep/${'x'.repeat(120)}/${'y'.repeat(120)}.txt`, type: 'file', mode: 0o600, uid: 65532, content: { kind: 'buffer', data: Buffer.from('long') } },
];

test('writeTar is byte-identical for the same entries in any order', async () => {
  const a = await collect(writeTar(entries, { epoch: 1000, addParents: true }));
  const b = await collect(writeTar([...entries].reverse(), { epoch: 1000, addParents: true }));
  assert.ok(a.equals(b));
  const c = await collect(writeTar(entries, { epoch: 2000, addParents: true }));
  assert.ok(!a.equals(c), 'the epoch is part of the output');
});

test('writeTar sorts, adds parents, clamps mtimes, writes whiteouts and long names', async () => {
  const listed = await listTar(await collect(writeTar(entries, { epoch: 1000, addParents: true })));
  assert.deepEqual(listed.map((e) => e.name), [
    'app/', 'app/bin/', 'app/bin/run', 'app/main.py',
    'deep/', `deep/${'x'.repeat(120)}/`, `deep/${'x'.repeat(120)}/${'y'.repeat(120)}.txt`,
    'etc/', 'etc/.wh.gone',
  ]);
  assert.ok(listed.every((e) => e.mtime === 1000), 'every mtime clamped to the epoch');
  const link = listed.find((e) => e.name === 'app/bin/run');
  assert.equal(link?.type, 'symlink');
  assert.equal(link?.linkname, '../main.py');
  const long = listed.find((e) => e.name.endsWith('.txt'));
  assert.equal(long?.uid, 65532);
  assert.equal(long?.mode, 0o600);
});

test('writeTar refuses two different entries for one path', async () => {
  const dup: TarEntry[] = [entries[0]!, { ...entries[0]!, mode: 0o755 }];
  assert.throws(() => writeTar(dup, { epoch: 0 }), /two entries for the same path "app\/main.py"/);
});
