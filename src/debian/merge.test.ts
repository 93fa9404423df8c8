import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TarEntry } from '../tar/entry.js';
import { mergePackages, orderHardlinks } from './merge.js';

const file = (path: string, text: string, mode = 0o644): TarEntry => ({ path, type: 'file', mode, content: { kind: 'buffer', data: Buffer.from(text) } });

test('mergePackages: directories last-wins, identical files are fine, a file/directory clash is refused', () => {
  const tree = mergePackages([
    { name: 'a', fields: [['Package', 'a']], entries: [{ path: 'etc', type: 'directory', mode: 0o755 }, file('etc/same', 'x')] },
    { name: 'b', fields: [['Package', 'b']], entries: [{ path: 'etc', type: 'directory', mode: 0o750 }, file('etc/same', 'x')] },
  ]);
  assert.deepEqual([tree.get('etc')?.owner, tree.get('etc')?.entry.mode], ['b', 0o750]);
  assert.equal(tree.get('etc/same')?.owner, 'a');
  assert.throws(() => mergePackages([
    { name: 'a', fields: [], entries: [file('opt/x', 'x')] },
    { name: 'c', fields: [], entries: [{ path: 'opt/x', type: 'directory', mode: 0o755 }] },
  ]), /^InputError: packages a and c both ship "\/opt\/x" \(file vs directory\) and neither Replaces the other$/);
});

test('orderHardlinks moves content to the bytewise-first path of each link group', () => {
  const out = new Map(orderHardlinks([
    file('usr/bin/z-real', 'bytes', 0o755),
    { path: 'usr/bin/a-link', type: 'hardlink', mode: 0o755, linkTarget: 'usr/bin/z-real' },
    { path: 'usr/bin/m-link', type: 'hardlink', mode: 0o755, linkTarget: 'usr/bin/a-link' },
  ]).map((e) => [e.path, e]));
  assert.equal(out.get('usr/bin/a-link')?.type, 'file');
  assert.equal(out.get('usr/bin/a-link')?.content?.kind === 'buffer' && out.get('usr/bin/a-link')!.content!.kind, 'buffer');
  assert.deepEqual([out.get('usr/bin/z-real')?.type, out.get('usr/bin/z-real')?.linkTarget], ['hardlink', 'usr/bin/a-link']);
  assert.equal(out.get('usr/bin/m-link')?.linkTarget, 'usr/bin/a-link');
});
