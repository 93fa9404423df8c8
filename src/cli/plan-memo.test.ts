import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { RACY_WINDOW_NS } from '../cache/racy.js';
import type { BuildPlan } from '../plan/types.js';
import { appDigest } from '../resolve/app-digest.js';
import { tempDir } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { runKiln } from '../testing/cli.js';
import { recallPlan, recordPlan, type PlanMemoContext } from './plan-memo.js';

const later = (): bigint => BigInt(Date.now()) * 1_000_000n + 2n * RACY_WINDOW_NS;

/** project lays out kiln.yaml, an app folder and a resolved plan over them. */
async function project(base: BuildPlan['images'][number]['pinned'] extends infer P ? P : never = undefined as never) {
  const dir = await tempDir();
  const app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  demo:\n    base: scratch\n');
  await writeFile(join(app, 'server.py'), 'print(1)\n');
  const env = { PATH: process.env.PATH, KILN_CACHE_DIR: join(dir, '.cache') };
  const store = new BlobStore(env.KILN_CACHE_DIR);
  const digest = await appDigest({ dir: app, dest: '/app' });
  const entry = testImagePlan({ pinned: base ?? { base: { kind: 'scratch' }, app: { dir: app, dest: '/app', digest } } });
  const plan: BuildPlan = { manifestFile: join(dir, 'kiln.yaml'), images: [entry], notices: [] };
  const context: PlanMemoContext = { argv: ['build', dir, '-q'], cwd: '/', env, store, clock: later };
  return { dir, app, plan, context, digest };
}

test('a recorded plan comes back while its inputs stat the same, with the app digest of the folder as it is now', async () => {
  const p = await project();
  assert.equal(await recallPlan(p.plan.manifestFile, p.context), undefined, 'nothing recorded yet');
  assert.equal(await recordPlan(p.plan, ['demo: a warning'], p.context), true);
  const same = await recallPlan(p.plan.manifestFile, p.context);
  assert.deepEqual(same, { plan: p.plan, log: ['demo: a warning'], repinned: [] });

  // A code change: the plan still holds, the app digest follows the folder.
  await appendFile(join(p.app, 'server.py'), 'print(2)\n');
  const edited = await recallPlan(p.plan.manifestFile, p.context);
  const now = await appDigest({ dir: p.app, dest: '/app' });
  assert.notEqual(now, p.digest);
  assert.equal(edited?.plan.images[0]!.pinned!.app!.digest, now);

  // Another command line, environment or folder is another plan.
  assert.equal(await recallPlan(p.plan.manifestFile, { ...p.context, argv: ['build', p.dir] }), undefined);
  assert.equal(await recallPlan(p.plan.manifestFile, { ...p.context, env: { ...p.context.env, KILN_THREADS: '1' } }), undefined);
  assert.equal(await recallPlan(p.plan.manifestFile, { ...p.context, env: { ...p.context.env, KILN_NO_FAST_PATH: '1' } }), undefined);

  // kiln.yaml edited, kiln.lock appearing, a pyproject.toml beside kiln.yaml ({version}): plan again.
  for (const [file, text] of [['kiln.yaml', '# edited\n'], ['kiln.lock', 'version = 1\n'], ['pyproject.toml', '[project]\nversion = "2"\n']] as const) {
    await recordPlan(p.plan, [], p.context);
    assert.ok(await recallPlan(p.plan.manifestFile, p.context), `recorded again before ${file}`);
    await appendFile(join(p.dir, file), text);
    assert.equal(await recallPlan(p.plan.manifestFile, p.context), undefined, `${file} changed`);
  }
});

test('nothing is recorded for inputs changed within the racy window, a registry base or an unresolved entry', async () => {
  const p = await project();
  assert.equal(await recordPlan(p.plan, [], { ...p.context, clock: undefined }), false, 'kiln.yaml was written just now');
  const registry = await project({ base: { kind: 'registry', reference: 'registry.example/base:1', digest: 'sha256:00' } });
  assert.equal(await recordPlan(registry.plan, [], registry.context), false, 'a registry base tag is checked at each plan');
  const unresolved = await project();
  unresolved.plan.images[0] = { ...unresolved.plan.images[0]!, unresolved: 'demo: cannot resolve' };
  assert.equal(await recordPlan(unresolved.plan, [], unresolved.context), false);
});

test('kiln build reuses the plan after a code change and plans again after a kiln.yaml edit', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app/server.py'), 'print(1)\n');
  const manifest = (value: string): string => `images:\n  demo:\n    base: scratch\n    app: {src: app, dest: /app}\n    env: {MODE: "${value}"}\n    outputs: [oci:out]\n`;
  await writeFile(join(dir, 'kiln.yaml'), manifest('one'));
  const env = { KILN_CACHE_DIR: join(dir, '.cache') };
  const build = async (): Promise<{ digest: string; env: string[]; stderr: string }> => {
    const result = await runKiln(['build', dir], { env });
    assert.equal(result.code, 0, result.stderr);
    const inspected = await runKiln(['inspect', `oci:${join(dir, 'out')}`, '--json'], { env });
    const config = JSON.parse(inspected.stdout) as { digest: string; config: { env?: string[] } };
    return { digest: config.digest, env: config.config.env ?? [], stderr: result.stderr };
  };
  // Past the racy window, so the first build records its plan.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const first = await build();
  assert.doesNotMatch(first.stderr, /plan is reused/);
  await appendFile(join(dir, 'app/server.py'), 'print(2)\n');
  const second = await build();
  assert.match(second.stderr, /planning inputs of .*kiln\.yaml are unchanged since the last build: its plan is reused/);
  assert.notEqual(second.digest, first.digest, 'the app change is in the image');
  await writeFile(join(dir, 'kiln.yaml'), manifest('two'));
  const third = await build();
  assert.doesNotMatch(third.stderr, /plan is reused/);
  assert.ok(third.env.includes('MODE=two'), `the edited kiln.yaml was planned: ${third.env.join(' ')}`);
});
