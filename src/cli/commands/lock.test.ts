// kiln lock --update and sources: a branch that moved upstream is followed, as kiln source bump follows it; a series
// that conflicts at the new commit fails in one line and leaves kiln.lock as it was. Real git, the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../testing/images.js';
import { gitIn, makeUpstream } from '../../testing/git-upstream.js';
import { runKiln } from '../../testing/cli.js';
import { readLock } from '../../debian/lock.js';

test('kiln lock keeps a source pin; --update moves it to where its branch went; a conflict there changes nothing', async () => {
  const root = await tempDir();
  const upstream = await makeUpstream(root);
  gitIn(upstream.dir, ['branch', 'stable', 'v0.15.2']);
  const project = join(root, 'project');
  await cp(upstream.patches, join(project, 'patches'), { recursive: true });
  await writeFile(join(project, 'kiln.yaml'), `sources:
  kserve:
    git: ${upstream.url}
    ref: stable
    paths: [python/]
    patches: patches
images:
  model:
    base: scratch
    app: {src: "source:kserve/python/kserve", dest: /app}
`);
  const env = { KILN_CACHE_DIR: join(root, 'cache') };
  const lockFile = join(project, 'kiln.lock');
  const pinned = async (): Promise<string | undefined> => (await readLock(lockFile)).sources?.kserve?.commit;

  const first = await runKiln(['lock', project], { env });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(await pinned(), upstream.commits['v0.15.2']);

  // Upstream's branch moves to a release where patch 0001 needs a 3-way merge: plain lock keeps the pin, --update follows.
  gitIn(upstream.dir, ['branch', '-f', 'stable', 'v0.15.3']);
  const kept = await runKiln(['lock', project], { env });
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(await pinned(), upstream.commits['v0.15.2']);
  const updated = await runKiln(['lock', project, '--update'], { env });
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(await pinned(), upstream.commits['v0.15.3']);
  assert.ok(updated.stderr.includes(`source kserve: moved from ${upstream.commits['v0.15.2']!.slice(0, 12)} to ${upstream.commits['v0.15.3']!.slice(0, 12)} (stable)`), updated.stderr);
  assert.deepEqual((await readLock(lockFile)).sources?.kserve?.patches.map((patch) => patch.name), ['0001-greeting.patch', '0002-workers.patch']);

  // Then to one where patch 0002 conflicts: one line naming the patch (after the progress lines), and kiln.lock byte for byte as before.
  gitIn(upstream.dir, ['branch', '-f', 'stable', 'v0.16.0']);
  const before = await readFile(lockFile, 'utf8');
  const conflict = await runKiln(['lock', project, '--update'], { env });
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, new RegExp(`(^|\\n)kiln: source kserve: stable is now ${upstream.commits['v0.16.0']!.slice(0, 12)}: patch 0002-workers\\.patch conflicts \\(python/kserve/kserve/model\\.py, hunk #1 .*\\); nothing changed \\(kiln source bump kserve shows every patch\\)\\n$`));
  assert.equal(await readFile(lockFile, 'utf8'), before);
});
