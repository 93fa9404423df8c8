// Secrets never reach the terminal: the real CLI, run as a user would, with passwords in the places users put them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/images.js';
import { runKiln } from '../testing/cli.js';

const SECRET = 'hunter2-index-secret';

test('kiln plan (human and --json) prints a python index_url without its password', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'proj'));
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  demo:',
    '    base: scratch',
    '    python:',
    '      project: proj',
    `      index_url: https://user:${SECRET}@pypi.example.com/simple`,
    `      extra_index_urls: [https://other:${SECRET}@mirror.example.com/simple]`,
    '',
  ].join('\n'));
  const json = await runKiln(['plan', dir, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as { images: Array<{ python: { indexUrl: string; extraIndexUrls: string[] } }> };
  assert.equal(plan.images[0]!.python.indexUrl, 'https://user:***@pypi.example.com/simple');
  assert.deepEqual(plan.images[0]!.python.extraIndexUrls, ['https://other:***@mirror.example.com/simple']);
  const human = await runKiln(['plan', dir]);
  assert.equal(human.code, 0, human.stderr);
  for (const output of [json.stdout, json.stderr, human.stdout, human.stderr]) assert.ok(!output.includes(SECRET), output);
});

test('a docker:// reference with user:password is refused without echoing the password', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'kiln.yaml'), `images:\n  demo:\n    base: docker://user:${SECRET}@127.0.0.1:5000/kiln/base:1\n`);
  const build = await runKiln(['build', dir, '-o', `oci:${join(dir, 'out')}`]);
  assert.notEqual(build.code, 0);
  assert.equal(build.stderr.trim().split('\n').at(-1), 'kiln: invalid image reference "user:***@127.0.0.1:5000/kiln/base:1": credentials do not belong in an image reference; use docker login or username_env/password_env in kiln.yaml');
  const plan = await runKiln(['plan', dir, '-o', `docker://user:${SECRET}@127.0.0.1:5000/kiln/out:1`]);
  const debug = await runKiln(['build', dir, '--debug', '-o', `oci:${join(dir, 'out')}`]);
  for (const output of [build.stdout, build.stderr, plan.stdout, plan.stderr, debug.stdout, debug.stderr]) assert.ok(!output.includes(SECRET), output);
});
