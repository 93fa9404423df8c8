// Broken docker-archives and bad output names through the real CLI: one line, non-zero exit, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runKiln } from '../testing/cli.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { writeImage } from './index.js';

function assertOneLineFailure(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(result.code, 0);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^kiln: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

test('kiln validate on random bytes, a truncated archive and a truncated gzip: one line each; a gzipped archive loads', { timeout: 300_000 }, async () => {
  const store = await tempStore();
  const dir = await tempDir();
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const image = await imageWithLayers(store, { 'etc/hello': randomBytes(200_000).toString('base64') }, { 'app/main.py': 'print(1)\n' });
  const archive = join(dir, 'img.tar');
  await writeImage(`docker-archive:${archive}:example/hello`, image, { store });
  const bytes = await readFile(archive);
  await writeFile(join(dir, 'random.tar'), randomBytes(10_000));
  await writeFile(join(dir, 'truncated.tar'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  await writeFile(join(dir, 'img.tar.gz'), gzipSync(bytes));
  await writeFile(join(dir, 'truncated.tar.gz'), gzipSync(bytes).subarray(0, 5000));

  for (const name of ['random.tar', 'truncated.tar', 'truncated.tar.gz']) {
    const result = await runKiln(['validate', `docker-archive:${join(dir, name)}`], { env });
    assertOneLineFailure(result, new RegExp(`docker-archive:${join(dir, name)}.*not a complete docker-archive tar`));
  }
  const gzipped = await runKiln(['validate', `docker-archive:${join(dir, 'img.tar.gz')}`], { env });
  assert.equal(gzipped.code, 0, gzipped.stderr);
  assert.match(gzipped.stdout, new RegExp(`ok ${await image.digest()}`), 'a gzipped docker save reads like the plain one');
});

test('kiln build with an output name other tools cannot read fails at parse time, nothing written', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const project = join(dir, 'project');
  await mkdir(join(project, 'site'), { recursive: true });
  await writeFile(join(project, 'site/index.txt'), 'hi\n');
  await writeFile(join(project, 'kiln.yaml'), 'images:\n  web:\n    base: scratch\n    app: { src: site, dest: /srv }\n');
  const out = join(dir, 'out');
  await mkdir(out);
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const badTag = await runKiln(['build', project, '-o', `oci:${out}/l:Bad Tag!`], { env });
  assertOneLineFailure(badTag, /"Bad Tag!" is not a valid OCI layout tag/);
  const upper = await runKiln(['build', project, '-o', `docker-archive:${out}/a.tar:UPPER/case`], { env });
  assertOneLineFailure(upper, /"UPPER" must be lower case/);
  assert.deepEqual(await readdir(out), []);
});
