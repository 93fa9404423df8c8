import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createAptRepo } from './apt-repo.js';

const run = promisify(execFile);

test('createAptRepo serves a repository that gpgv and dpkg-deb accept', async () => {
  const repo = await createAptRepo({
    packages: [
      { name: 'hello', version: '1:2.0-1', architecture: 'amd64', depends: 'libhello (>= 2)', files: { 'usr/bin/hello': { data: '#!/bin/sh\necho hi\n', mode: 0o755 } } },
      { name: 'libhello', version: '2.1-1', files: { 'usr/lib/libhello.so.2': 'elf', 'usr/lib/libhello.so': { symlink: 'libhello.so.2' } } },
    ],
  });
  try {
    const inRelease = await fetch(`${repo.url}/dists/${repo.suite}/InRelease`);
    assert.equal(inRelease.status, 200);
    const verified = await run('gpgv', ['--keyring', repo.keyring, `${repo.dir}/dists/${repo.suite}/InRelease`]);
    assert.match(verified.stderr, /Good signature/);
    await assert.rejects(run('gpgv', ['--keyring', repo.strangerKeyring, `${repo.dir}/dists/${repo.suite}/InRelease`]));

    const control = (await run('dpkg-deb', ['-f', repo.debPath('hello'), 'Package', 'Version', 'Depends'])).stdout;
    assert.equal(control, 'Package: hello\nVersion: 1:2.0-1\nDepends: libhello (>= 2)\n');
    const listing = (await run('dpkg-deb', ['-c', repo.debPath('libhello')])).stdout;
    assert.match(listing, /\.\/usr\/lib\/libhello\.so -> libhello\.so\.2/);

    const arm = await (await fetch(`${repo.url}/dists/${repo.suite}/main/binary-arm64/Packages`)).text();
    assert.match(arm, /Package: libhello/, 'Architecture: all is in every index');
    assert.doesNotMatch(arm, /Package: hello\n/, 'amd64-only package is not in the arm64 index');
    assert.ok(repo.server.requests.includes('/debian/dists/kiln-test/InRelease'));

    await repo.tamperInRelease();
    await assert.rejects(run('gpgv', ['--keyring', repo.keyring, `${repo.dir}/dists/${repo.suite}/InRelease`]));
  } finally {
    await repo.close();
  }
});
