import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternativeEntries, parseAlternatives } from './alternatives.js';
import type { TarEntry } from '../tar/entry.js';

// Shaped like libblas3's and libopenblas0-pthread's postinst in bookworm.
const REFERENCE_BLAS = `#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
  update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\
                      libblas.so.3-x86_64-linux-gnu \\
                      /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 10
fi
`;
const OPENBLAS = `#!/bin/sh
update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 100 --slave /usr/lib/x86_64-linux-gnu/libblas.so.3.extra blas-extra /usr/lib/x86_64-linux-gnu/openblas-pthread/extra
update-alternatives --install /usr/lib/$DEB_HOST_MULTIARCH/libx.so x /usr/lib/x 5
`;

function files(...paths: string[]): Map<string, TarEntry> {
  return new Map(paths.map((path) => [path, { path, type: 'file', mode: 0o644 } as TarEntry]));
}

test('parseAlternatives reads --install calls with continuations and slaves, skipping shell variables', () => {
  assert.deepEqual(parseAlternatives(REFERENCE_BLAS, 'libblas3'), [{
    link: '/usr/lib/x86_64-linux-gnu/libblas.so.3',
    name: 'libblas.so.3-x86_64-linux-gnu',
    path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3',
    priority: 10,
    slaves: [],
    package: 'libblas3',
  }]);
  const openblas = parseAlternatives(OPENBLAS, 'libopenblas0-pthread');
  assert.equal(openblas.length, 1, 'the line with $DEB_HOST_MULTIARCH is skipped');
  assert.deepEqual(openblas[0]!.slaves, [{ link: '/usr/lib/x86_64-linux-gnu/libblas.so.3.extra', name: 'blas-extra', path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/extra' }]);
});

test('alternativeEntries links the highest-priority candidate that is installed, through /etc/alternatives', () => {
  const all = [...parseAlternatives(REFERENCE_BLAS, 'libblas3'), ...parseAlternatives(OPENBLAS, 'libopenblas0-pthread')];
  const onlyReference = alternativeEntries(all, files('usr/lib/x86_64-linux-gnu/blas/libblas.so.3'));
  assert.deepEqual(onlyReference.map((e) => [e.path, e.linkTarget]), [
    ['etc/alternatives/libblas.so.3-x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'],
    ['usr/lib/x86_64-linux-gnu/libblas.so.3', '/etc/alternatives/libblas.so.3-x86_64-linux-gnu'],
  ]);
  const both = alternativeEntries(all, files('usr/lib/x86_64-linux-gnu/blas/libblas.so.3', 'usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', 'usr/lib/x86_64-linux-gnu/openblas-pthread/extra'));
  assert.equal(both.find((e) => e.path === 'etc/alternatives/libblas.so.3-x86_64-linux-gnu')?.linkTarget, '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', 'priority 100 beats 10');
  assert.ok(both.some((e) => e.path === 'usr/lib/x86_64-linux-gnu/libblas.so.3.extra'), 'slaves follow their master');
  assert.deepEqual(alternativeEntries(all, files()), [], 'nothing installed, nothing linked');
  assert.deepEqual(alternativeEntries(all, files('usr/lib/x86_64-linux-gnu/blas/libblas.so.3', 'usr/lib/x86_64-linux-gnu/libblas.so.3')), [], 'a shipped link is kept');
});
