import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { main } from './main.js';
import { BlobStore } from '../cache/blob-store.js';

function capture() {
  let text = '';
  const stream = new Writable({ write(chunk, _encoding, callback) { text += chunk; callback(); } });
  return { stream, text: () => text };
}

async function kiln(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: '/', version: '9.9.9', cache: () => new BlobStore('/nonexistent') });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

test('usage errors exit 2 with one line; --version and --help exit 0', async () => {
  const unknown = await kiln(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'kiln: unknown command "frobnicate" (try kiln --help)\n');
  const badFlag = await kiln(['build', '--bogus']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /^kiln: .*--bogus.*\n$/);
  assert.equal((await kiln(['--version'])).stdout, '9.9.9\n');
  const help = await kiln(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['plan', 'build', 'push', 'tag', 'workflow', 'lock', 'validate', 'dockerfile']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
});

test('every command module loads and has a usage line', async () => {
  for (const name of ['plan', 'build', 'push', 'tag', 'workflow', 'lock', 'validate', 'dockerfile', 'report']) {
    const result = await kiln([name, '--help']);
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^usage: kiln ${name}`));
  }
});

test('a failing command prints one line without a stack unless --debug', async () => {
  const plain = await kiln(['validate', 'oci:/nonexistent/layout']);
  assert.equal(plain.code, 1);
  assert.equal(plain.stderr.trim().split('\n').length, 1);
  const debug = await kiln(['validate', 'oci:/nonexistent/layout', '--debug']);
  assert.match(debug.stderr, /\n\s+at /);
});
