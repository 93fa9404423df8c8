// Sources against a KServe-shaped upstream made with git: sync (sparse, series applied, pinned), pins that do not
// move, bump (3-way fallback and a true conflict), a conflict when syncing, checkout and refresh round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, NetworkError } from '../errors.js';
import { tempDir, tempStore } from '../testing/images.js';
import { gitIn, makeUpstream } from '../testing/git-upstream.js';
import type { SourceSpec } from '../config/schema.js';
import { bumpSource } from './bump.js';
import { checkoutSource, formatSeries, writeSeries } from './checkout.js';
import { mirrorWithCommit } from './mirror.js';
import { readSeries } from './series.js';
import { lockedSource, syncSource, type SyncOptions } from './sync.js';

const root = await tempDir();
const upstream = await makeUpstream(root);
const spec = (overrides: Partial<SourceSpec> = {}): SourceSpec => ({ git: upstream.url, ref: 'v0.15.2', paths: ['python/'], patches: 'patches', version_file: 'python/VERSION', ...overrides });
const MODEL = 'python/kserve/kserve/model.py';

async function options(overrides: Partial<SyncOptions> = {}): Promise<SyncOptions> {
  return { store: await tempStore(), env: process.env, manifestDir: root, pins: {}, locked: false, ...overrides };
}

test('sync checks out the tag sparsely with the series applied, pins the commit and reads the version', async () => {
  const synced = await syncSource('kserve', spec(), await options());
  assert.equal(synced.commit, upstream.commits['v0.15.2']);
  assert.equal(synced.version, '0.15.2');
  assert.deepEqual(synced.patches.map((patch) => [patch.name, patch.applied]), [['0001-greeting.patch', 'clean'], ['0002-workers.patch', 'clean']]);
  assert.deepEqual(await readdir(synced.dir), ['python'], 'only the sparse paths, no .git');
  const model = await readFile(join(synced.dir, MODEL), 'utf8');
  assert.match(model, /GREETING = "hello from kiln"/);
  assert.match(model, /WORKERS = 2/);
  assert.ok(existsSync(join(synced.dir, 'python/sklearnserver/poetry.lock')));
  const pin = lockedSource(synced);
  assert.deepEqual(pin.patches.map((patch) => patch.name), ['0001-greeting.patch', '0002-workers.patch']);
  assert.match(pin.patches[0]!.sha256, /^[0-9a-f]{64}$/);
});

test('a pin in kiln.lock is used as is: a branch that moved upstream is not followed', async () => {
  const context = await options();
  const first = await syncSource('kserve', spec({ ref: 'master', patches: undefined }), context);
  assert.equal(first.commit, upstream.commits['v0.16.0']);
  const pins = { kserve: { ...lockedSource(first), commit: upstream.commits['v0.15.2']! } };
  const again = await syncSource('kserve', spec({ ref: 'master', patches: undefined }), { ...context, pins });
  assert.equal(again.commit, upstream.commits['v0.15.2']);
  // A pin for another ref answers nothing: the ref kiln.yaml names now is resolved.
  const other = await syncSource('kserve', spec({ ref: 'v0.15.3', patches: undefined }), { ...context, pins });
  assert.equal(other.commit, upstream.commits['v0.15.3']);
});

test('--locked refuses a source kiln.lock does not pin, and a series that changed since', async () => {
  const context = await options({ locked: true });
  await assert.rejects(syncSource('kserve', spec(), context), (error: unknown) => error instanceof InputError && /source kserve: kiln\.lock pins no commit .* --locked/.test(error.message));
  const synced = await syncSource('kserve', spec(), await options());
  const pin = lockedSource(synced);
  assert.equal((await syncSource('kserve', spec(), { ...context, pins: { kserve: pin } })).commit, pin.commit);
  const stale = { ...pin, patches: pin.patches.slice(0, 1) };
  await assert.rejects(syncSource('kserve', spec(), { ...context, pins: { kserve: stale } }), /patch series changed since kiln\.lock/);
});

test('bump: the series is tried patch by patch; a change beside a hunk merges, a change of the same line conflicts', async () => {
  const context = await options();
  const beside = await bumpSource('kserve', spec(), { ...context, to: 'v0.15.3' });
  assert.equal(beside.to, upstream.commits['v0.15.3']);
  assert.deepEqual(beside.outcomes.map((outcome) => outcome.status), ['3-way', 'clean']);
  assert.equal(beside.pin?.commit, upstream.commits['v0.15.3']);
  assert.equal(beside.pin?.ref, 'v0.15.3');

  const same = await bumpSource('kserve', spec(), { ...context, to: 'v0.16.0' });
  assert.deepEqual(same.outcomes.map((outcome) => outcome.status), ['3-way', 'conflict']);
  const conflict = same.outcomes[1]!;
  assert.ok(conflict.status === 'conflict');
  assert.equal(conflict.file, MODEL);
  assert.equal(conflict.hunk?.number, 1);
  assert.match(conflict.hunk?.header ?? '', /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
  assert.equal(same.pin, undefined, 'no pin when a patch conflicts');

  // The merged tree of v0.15.3 holds both upstream's change and the patch's.
  const synced = await syncSource('kserve', spec({ ref: 'v0.15.3' }), context);
  assert.deepEqual(synced.patches.map((patch) => patch.applied), ['3-way', 'clean']);
  const model = await readFile(join(synced.dir, MODEL), 'utf8');
  assert.match(model, /GREETING = "hello from kiln"/);
  assert.match(model, /NAME = "kserve-0\.15\.3"/);
  assert.equal(synced.version, '0.15.3');
});

test('sync fails in one line naming the patch, the file and the hunk when a patch no longer applies', async () => {
  await assert.rejects(syncSource('kserve', spec({ ref: 'v0.16.0' }), await options()), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /^source kserve: patch 0002-workers\.patch does not apply to [0-9a-f]{12}: python\/kserve\/kserve\/model\.py, hunk #1 \(@@ -\d+,\d+ \+\d+,\d+ @@\): conflicts even with a 3-way merge$/);
    return true;
  });
});

test('an unknown ref and an unreachable remote are one line each', async () => {
  await assert.rejects(syncSource('kserve', spec({ ref: 'v9.9.9' }), await options()), /^InputError: source kserve: ref "v9\.9\.9" is not a tag, branch or commit of file:/);
  await assert.rejects(syncSource('kserve', spec({ git: `file://${root}/nowhere` }), await options()), (error: unknown) => error instanceof NetworkError && /^source kserve: cannot fetch file:\/\/.*nowhere: .+$/.test(error.message) && !error.message.includes('\n'));
});

test('checkout gives one commit per patch; refresh writes them back, byte for byte on a second round', async () => {
  const context = await options();
  const commit = upstream.commits['v0.15.2']!;
  const mirror = await mirrorWithCommit(upstream.url, commit, context);
  const work = await tempDir();
  const first = join(work, 'first');
  await checkoutSource('kserve', mirror, commit, ['python/'], await readSeries(upstream.patches), first);
  assert.equal(gitIn(first, ['rev-list', '--count', `${commit}..HEAD`]).trim(), '2');
  assert.equal(gitIn(first, ['log', '-1', '--format=%s']).trim(), 'Two workers');
  assert.equal(gitIn(first, ['remote', 'get-url', 'origin']).trim(), upstream.url);

  const series = join(work, 'series');
  await mkdir(series);
  await writeSeries(series, await formatSeries(first, commit));
  const second = join(work, 'second');
  await checkoutSource('kserve', mirror, commit, ['python/'], await readSeries(series), second);
  const again = await formatSeries(second, commit);
  const written = await Promise.all(again.map(async (patch) => [patch.name, await readFile(join(series, patch.name), 'utf8')]));
  assert.deepEqual(again.map((patch) => [patch.name, patch.text]), written, 'refresh of an unedited checkout gives the same bytes');
  assert.deepEqual(again.map((patch) => patch.name), ['0001-greet-from-kiln.patch', '0002-two-workers.patch']);
  assert.doesNotMatch(again[0]!.text, /^Date:|^From [0-9a-f]{40}|^-- \n/m);

  // An edit committed on top becomes a third patch; the series still applies to the pin.
  await writeFile(join(second, 'python/kserve/kserve/__init__.py'), '__all__ = ["model"]\n');
  gitIn(second, ['commit', '-qam', 'Export the model module']);
  await cp(join(series), join(work, 'series-before'), { recursive: true });
  await writeSeries(series, await formatSeries(second, commit));
  assert.deepEqual((await readSeries(series)).map((patch) => patch.name), ['0001-greet-from-kiln.patch', '0002-two-workers.patch', '0003-export-the-model-module.patch']);
  const synced = await syncSource('kserve', spec({ patches: series }), context);
  assert.equal(await readFile(join(synced.dir, 'python/kserve/kserve/__init__.py'), 'utf8'), '__all__ = ["model"]\n');
});

test('a quilt series file orders the patches and gives -pN', async () => {
  const dir = await tempDir();
  await cp(upstream.patches, dir, { recursive: true });
  await writeFile(join(dir, 'series'), '# applied in this order\n0002-workers.patch\n0001-greeting.patch -p1\n\n');
  assert.deepEqual((await readSeries(dir)).map((patch) => [patch.name, patch.strip, patch.subject]), [['0002-workers.patch', 1, 'Two workers'], ['0001-greeting.patch', 1, 'Greet from kiln']]);
  await writeFile(join(dir, 'series'), '0001-greeting.patch --fuzz=3\n');
  await assert.rejects(readSeries(dir), /series:1: unknown option "--fuzz=3"/);
});
