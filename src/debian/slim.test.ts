import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TarEntry } from '../tar/entry.js';
import { SLIM_RULE_NAMES } from '../plan/slim-rules.js';
import { addReports, DEFAULT_SLIM, slimEntries, slimPolicy, slimRuleOf } from './slim.js';

const file = (path: string, size = 10): TarEntry => ({ path, type: 'file', mode: 0o644, size, content: { kind: 'buffer', data: Buffer.alloc(size) } });
const dir = (path: string): TarEntry => ({ path, type: 'directory', mode: 0o755 });

test('each default rule removes what it says and nothing a program loads', () => {
  const ruleOf = slimRuleOf(DEFAULT_SLIM);
  const removed: Record<string, string> = {
    'usr/share/doc/libc6/changelog.Debian.gz': 'docs',
    'usr/share/man/man1/python3.1.gz': 'man',
    'usr/share/info/gcc.info.gz': 'info',
    'usr/share/lintian/overrides/libc6': 'lintian',
    'usr/share/locale/de/LC_MESSAGES/libc.mo': 'locale',
    'usr/lib/python3/dist-packages/scipy/linalg/tests/test_basic.py': 'python-tests',
    'usr/lib/python3/dist-packages/numpy/core/tests/data/x.npy': 'python-tests',
    'usr/lib/python3/dist-packages/sklearn/tests/__init__.py': 'python-tests',
    'usr/lib/python3.11/lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so': 'python-test-modules',
    'usr/lib/python3.11/pydoc_data/topics.py': 'python-test-modules',
    'usr/include/python3.11/Python.h': 'headers',
    'usr/lib/x86_64-linux-gnu/libfoo.a': 'static-libs',
    'usr/share/zoneinfo/right/Europe/Paris': 'tz-right',
    'usr/lib/x86_64-linux-gnu/gconv/IBM1390.so': 'charsets',
  };
  for (const [path, rule] of Object.entries(removed)) assert.equal(ruleOf(path), rule, path);
  const kept = [
    'usr/share/doc/libc6/copyright', 'usr/share/locale/locale.alias', 'usr/share/zoneinfo/Europe/Paris',
    'usr/lib/python3.11/test/support/__init__.py', 'usr/lib/python3.11/unittest/case.py',
    'usr/lib/python3/dist-packages/numpy/testing/__init__.py', 'usr/lib/python3/dist-packages/tests/__init__.py',
    'usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', 'usr/lib/x86_64-linux-gnu/gconv/gconv-modules',
    'usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d/gconv-modules-extra.conf', 'usr/lib/x86_64-linux-gnu/gconv/UTF-16.so',
    'usr/lib/x86_64-linux-gnu/gconv/ISO8859-1.so', 'usr/lib/x86_64-linux-gnu/libssl.so.3', 'usr/share/doc/libc6',
  ];
  for (const path of kept) assert.equal(ruleOf(path), undefined, path);
  assert.deepEqual(DEFAULT_SLIM.rules, SLIM_RULE_NAMES);
});

test('slim: false keeps every file; keep globs beat rules; drop globs remove more', () => {
  assert.equal(slimRuleOf(slimPolicy(false))('usr/share/man/man1/x.1.gz'), undefined);
  const policy = slimPolicy({ rules: ['docs', 'headers'], keep: ['/usr/include/python3.11/**'], drop: ['usr/share/zoneinfo/Antarctica/**'] });
  const ruleOf = slimRuleOf(policy);
  assert.equal(ruleOf('usr/include/python3.11/Python.h'), undefined);
  assert.equal(ruleOf('usr/include/zlib.h'), 'headers');
  assert.equal(ruleOf('usr/share/man/man1/x.1.gz'), undefined, 'rules not listed are off');
  assert.equal(ruleOf('usr/share/zoneinfo/Antarctica/Troll'), 'drop');
});

test('slimEntries counts files and bytes per rule, keeps directories and files a kept hardlink needs', () => {
  const entries: TarEntry[] = [
    dir('usr/share/doc'), dir('usr/share/doc/foo'), file('usr/share/doc/foo/copyright', 5), file('usr/share/doc/foo/README', 7),
    file('usr/share/man/man1/foo.1.gz', 3), file('usr/share/doc/foo/shared', 11),
    { path: 'usr/bin/foo-link', type: 'hardlink', mode: 0o644, linkTarget: 'usr/share/doc/foo/shared' },
    { path: 'usr/share/doc/foo/NEWS', type: 'symlink', mode: 0o777, linkTarget: 'README' },
    file('usr/bin/foo', 100),
  ];
  const { entries: kept, removed } = slimEntries(entries, DEFAULT_SLIM);
  assert.deepEqual(kept.map((entry) => entry.path), [
    'usr/share/doc', 'usr/share/doc/foo', 'usr/share/doc/foo/copyright', 'usr/share/doc/foo/shared', 'usr/bin/foo-link', 'usr/bin/foo',
  ]);
  assert.deepEqual(removed, { docs: { files: 2, bytes: 7 }, man: { files: 1, bytes: 3 } });
  assert.deepEqual(addReports([removed, { docs: { files: 1, bytes: 1 }, charsets: { files: 2, bytes: 2 } }]),
    { charsets: { files: 2, bytes: 2 }, docs: { files: 3, bytes: 8 }, man: { files: 1, bytes: 3 } });
});

test('a development package (there because a compiler was asked for) keeps its headers and static libraries', () => {
  const entries = [file('usr/include/zlib.h', 4), file('usr/lib/x86_64-linux-gnu/libz.a', 8), file('usr/share/doc/zlib1g-dev/changelog.gz', 2)];
  assert.deepEqual(slimEntries(entries, DEFAULT_SLIM, true).entries.map((entry) => entry.path), ['usr/include/zlib.h', 'usr/lib/x86_64-linux-gnu/libz.a']);
  assert.deepEqual(slimEntries(entries, DEFAULT_SLIM).removed, { docs: { files: 1, bytes: 2 }, headers: { files: 1, bytes: 4 }, 'static-libs': { files: 1, bytes: 8 } });
});
