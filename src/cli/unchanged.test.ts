import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { RACY_WINDOW_NS } from '../cache/racy.js';
import type { BuildPlan } from '../plan/types.js';
import { tempDir } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { runKilnBin } from '../testing/cli.js';
import { recordUnchanged, replayUnchanged } from './unchanged.js';

const later = (): bigint => BigInt(Date.now()) * 1_000_000n + 2n * RACY_WINDOW_NS;

/** project lays out kiln.yaml, an app folder outside the project, an oci: output and a plan over them. */
async function project(outputs?: string[]): Promise<{ dir: string; app: string; out: string; env: NodeJS.ProcessEnv; store: BlobStore; plan: BuildPlan; argv: string[] }> {
  const root = await tempDir();
  const dir = join(root, 'project');
  const app = join(root, 'app');
  const out = join(root, 'out');
  await mkdir(dir);
  await mkdir(app);
  await mkdir(join(out, 'blobs/sha256'), { recursive: true });
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  demo:\n    base: scratch\n');
  await writeFile(join(app, 'server.py'), 'print(1)\n');
  await writeFile(join(out, 'index.json'), '{}\n');
  await writeFile(join(out, 'blobs/sha256/ab'), 'blob');
  const env = { PATH: process.env.PATH, KILN_CACHE_DIR: join(root, 'cache') };
  const store = new BlobStore(env.KILN_CACHE_DIR);
  const entry = testImagePlan({ outputs: outputs ?? [`oci:${out}:latest`], pinned: { base: { kind: 'scratch' }, app: { dir: app, dest: '/app', digest: 'sha256:00' } } });
  const plan: BuildPlan = { manifestFile: join(dir, 'kiln.yaml'), images: [entry], notices: [] };
  return { dir, app, out, env, store, plan, argv: ['build', dir, '-o', `oci:${out}:latest`, '--quiet'] };
}

/** replay runs the fast path as bin/kiln.js does and returns its exit code (undefined: build normally) and output. */
async function replay(argv: string[], env: NodeJS.ProcessEnv, cwd = '/'): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await replayUnchanged(argv, {
    env, cwd: () => cwd,
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WritableStream,
  });
  return { code, stdout, stderr };
}

test('an unchanged build is answered from the record; an edited input, a removed output or other arguments are not', async () => {
  const p = await project();
  assert.deepEqual(await replay(p.argv, p.env), { code: undefined, stdout: '', stderr: '' }, 'nothing recorded yet');
  assert.equal(await recordUnchanged(p.argv, p.plan, 'demo  sha256:1234\n', { env: p.env, cwd: '/', store: p.store, clock: later }), true);
  assert.deepEqual(await replay(p.argv, p.env), { code: 0, stdout: 'demo  sha256:1234\n', stderr: '' });

  // Other arguments, another folder or another environment are another build.
  assert.equal((await replay([...p.argv, '--json'], p.env)).code, undefined);
  assert.equal((await replay(p.argv, p.env, '/tmp')).code, undefined);
  assert.equal((await replay(p.argv, { ...p.env, KILN_THREADS: '1' })).code, undefined);
  // A shell's per-command variables are not.
  assert.equal((await replay(p.argv, { ...p.env, _: '/usr/bin/time', OLDPWD: '/' })).code, 0);

  // Records are named by a short hash of their key and hold the whole key: a record under the right name whose key
  // differs (a clash of names) is not taken.
  const [name] = await readdir(join(p.env.KILN_CACHE_DIR!, 'memo/unchanged-build'));
  const file = join(p.env.KILN_CACHE_DIR!, 'memo/unchanged-build', name!);
  const record = JSON.parse(await readFile(file, 'utf8')) as { key: string };
  await writeFile(file, JSON.stringify({ ...record, key: record.key.replace('"build"', '"plan"') }));
  assert.equal((await replay(p.argv, p.env)).code, undefined, 'another key under the same name');
  await writeFile(file, JSON.stringify(record));
  assert.equal((await replay(p.argv, p.env)).code, 0);

  await appendFile(join(p.app, 'server.py'), 'print(2)\n');
  assert.equal((await replay(p.argv, p.env)).code, undefined, 'an app file outside the project was edited');
  assert.equal(await recordUnchanged(p.argv, p.plan, 'demo  sha256:5678\n', { env: p.env, cwd: '/', store: p.store, clock: later }), true);
  assert.equal((await replay(p.argv, p.env)).stdout, 'demo  sha256:5678\n');

  await appendFile(join(p.dir, 'kiln.yaml'), '# edited\n');
  assert.equal((await replay(p.argv, p.env)).code, undefined, 'kiln.yaml was edited');
  assert.equal(await recordUnchanged(p.argv, p.plan, 'again\n', { env: p.env, cwd: '/', store: p.store, clock: later }), true);

  await rm(join(p.out, 'blobs/sha256/ab'));
  assert.equal((await replay(p.argv, p.env)).code, undefined, 'a blob of the output is gone');
});

test('nothing is recorded for an input changed within the racy window, a registry output or a push', async () => {
  const p = await project();
  // The files were written just now: an edit within the same timestamp tick would not move their stat.
  assert.equal(await recordUnchanged(p.argv, p.plan, 'x\n', { env: p.env, cwd: '/', store: p.store }), false);
  assert.equal((await replay(p.argv, p.env)).code, undefined);

  const registry = await project([`docker://registry.example/demo:latest`]);
  assert.equal(await recordUnchanged(registry.argv, registry.plan, 'x\n', { env: registry.env, cwd: '/', store: registry.store, clock: later }), false);

  const pushed = [...p.argv, '--push'];
  assert.equal(await recordUnchanged(pushed, p.plan, 'x\n', { env: p.env, cwd: '/', store: p.store, clock: later }), false);
  assert.equal((await replay(pushed, p.env)).code, undefined);

  const synced: BuildPlan = { ...p.plan, sources: [{ name: 'upstream' } as unknown as NonNullable<BuildPlan['sources']>[number]] };
  assert.equal(await recordUnchanged(p.argv, synced, 'x\n', { env: p.env, cwd: '/', store: p.store, clock: later }), false, 'sources are synced from git on every plan');
});

test('a --json report is replayed with no time spent per entry', async () => {
  const p = await project();
  const argv = [...p.argv, '--json'];
  const report = { images: [{ digest: 'sha256:12' }], entries: [{ name: 'demo', status: 'built', seconds: 1.234, digest: 'sha256:12' }] };
  assert.equal(await recordUnchanged(argv, p.plan, `${JSON.stringify(report, null, 2)}\n`, { env: p.env, cwd: '/', store: p.store, clock: later }), true);
  const replayed = await replay(argv, p.env);
  assert.equal(replayed.code, 0);
  assert.deepEqual(JSON.parse(replayed.stdout), { ...report, entries: [{ ...report.entries[0], seconds: 0 }] });
});

test('bin/kiln.js answers a second identical build from the record, and builds again after an edit', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  app:\n    base: scratch\n    app: {src: ., dest: /app}\n    cmd: [/app/run]\n    outputs: ["oci:out/app:latest"]\n');
  await writeFile(join(dir, 'run'), 'one\n');
  // Past the racy window of the files just written: a build records nothing that may still change unseen.
  await new Promise((resolve) => setTimeout(resolve, Number(RACY_WINDOW_NS / 1_000_000n) + 100));
  const env = { KILN_CACHE_DIR: join(dir, '.cache') };
  const first = await runKilnBin(['build', dir], { env });
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stderr, /nothing changed/);
  const second = await runKilnBin(['build', dir], { env });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stderr, /^kiln: nothing changed since the last build of .*kiln\.yaml\n$/);
  await writeFile(join(dir, 'run'), 'two\n');
  const third = await runKilnBin(['build', dir], { env });
  assert.equal(third.code, 0, third.stderr);
  assert.doesNotMatch(third.stderr, /nothing changed/);
  assert.notEqual(third.stdout, first.stdout, 'a new image');
});
