import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TarEntry } from '../tar/entry.js';
import { maintainerEffects } from './effects.js';
import { rewriteSymlinkTarget } from './merged-usr.js';

const os = { id: 'debian', versionId: '13', codename: 'trixie', prettyName: 'Debian GNU/Linux 13 (trixie)' };
const text = (entries: TarEntry[], path: string): string | undefined => {
  const entry = entries.find((e) => e.path === path);
  return entry?.content?.kind === 'buffer' ? entry.content.data.toString() : entry?.linkTarget;
};

test('maintainerEffects generates os-release and nsswitch only when no package ships them', () => {
  const bare = maintainerEffects({ files: new Map(), packages: new Set(), os });
  assert.equal(text(bare, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n');
  assert.match(text(bare, 'etc/nsswitch.conf') ?? '', /^hosts: +files dns$/m);
  assert.ok(!bare.some((e) => e.path.startsWith('etc/ssl') || e.path === 'etc/localtime'), 'no CA or tz files without their packages');
  const shipped = new Map<string, TarEntry>([
    ['usr/lib/os-release', { path: 'usr/lib/os-release', type: 'file', mode: 0o644 }],
    ['etc/nsswitch.conf', { path: 'etc/nsswitch.conf', type: 'file', mode: 0o644 }],
  ]);
  const withBase = maintainerEffects({ files: shipped, packages: new Set(['base-files', 'tzdata']), os });
  assert.equal(text(withBase, 'etc/os-release'), '../usr/lib/os-release');
  assert.ok(!withBase.some((e) => e.path === 'etc/nsswitch.conf'));
  assert.equal(text(withBase, 'etc/localtime'), '/usr/share/zoneinfo/Etc/UTC');
});

test('rewriteSymlinkTarget keeps moved relative links aimed at the same file', () => {
  assert.equal(rewriteSymlinkTarget('lib/x/libz.so.1', 'usr/lib/x/libz.so.1', 'libz.so.1.2'), 'libz.so.1.2');
  assert.equal(rewriteSymlinkTarget('lib/x/libz.so', 'usr/lib/x/libz.so', '../../usr/lib/x/real.so'), 'real.so');
  assert.equal(rewriteSymlinkTarget('sbin/tool', 'usr/sbin/tool', '../bin/tool'), '../bin/tool');
  assert.equal(rewriteSymlinkTarget('bin/sh', 'usr/bin/sh', 'dash'), 'dash');
  assert.equal(rewriteSymlinkTarget('lib64/ld.so', 'usr/lib64/ld.so', '/lib/x/ld.so'), '/lib/x/ld.so');
});
