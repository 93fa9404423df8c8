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
  // kiln plan resolves the plan: a python section on scratch is refused there, and the refusal keeps the secret out.
  // (planBuild's redaction of a resolvable plan's JSON is covered by redactDeep on the whole plan file.)
  const json = await runKiln(['plan', dir, '--json']);
  assert.notEqual(json.code, 0, json.stdout);
  const human = await runKiln(['plan', dir]);
  assert.notEqual(human.code, 0, human.stdout);
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
