// Git dependencies: built at the commit the lock records, through the shared git mirror, like path dependencies;
// a lock that names only a moving ref is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { tempDir, tempStore } from '../testing/images.js';
import { makeUpstream } from '../testing/git-upstream.js';
import type { PythonPlan, PythonTarget } from '../plan/types.js';
import { poetryContentHashes } from './lock/poetry/content-hash.js';
import { pinPython } from './pin.js';
import { LAYER_DEPENDENCIES } from './layer-names.js';

const target: PythonTarget = { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'packages' };
const root = await tempDir();
const upstream = await makeUpstream(root);
const commit = upstream.commits['v0.15.2']!;

function plan(project: string): PythonPlan {
  return { project, groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [], split: [], allowUnhashed: false, installProject: false };
}

async function poetryProject(dir: string, source: string): Promise<string> {
  const pyproject = [
    '[tool.poetry]', 'name = "app"', 'version = "1.0.0"', 'description = ""', 'authors = ["a <a@example.org>"]', '',
    '[tool.poetry.dependencies]', 'python = "^3.9"', `kserve = { git = "${upstream.url}", tag = "v0.15.2", subdirectory = "python/kserve" }`, '',
  ].join('\n');
  const lock = [
    '[[package]]', 'name = "kserve"', 'version = "0.15.2"', 'description = ""', 'optional = false', 'python-versions = "^3.9"', 'files = []', 'develop = false', '',
    '[package.source]', source, '',
    '[metadata]', 'lock-version = "2.0"', 'python-versions = "^3.9"', `content-hash = "${poetryContentHashes(parseToml(pyproject))[0]}"`, '',
  ].join('\n');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pyproject.toml'), pyproject);
  await writeFile(join(dir, 'poetry.lock'), lock);
  return dir;
}

test('a poetry git dependency is built at its resolved_reference and recorded with its commit', async () => {
  const dir = await poetryProject(join(root, 'poetry'), `type = "git"\nurl = "${upstream.url}"\nreference = "v0.15.2"\nresolved_reference = "${commit}"\nsubdirectory = "python/kserve"`);
  const store = await tempStore();
  const pinned = await pinPython(plan(dir), target, { architecture: 'amd64' }, { store, env: process.env, epoch: 0 });
  assert.equal(pinned.packages.length, 1);
  const [kserve] = pinned.packages;
  assert.equal(kserve!.kind, 'git');
  assert.equal(kserve!.filename, 'kserve-0.15.2-py3-none-any.whl');
  assert.deepEqual(kserve!.git, { url: upstream.url, commit, subdirectory: 'python/kserve' });
  assert.equal(kserve!.layer, LAYER_DEPENDENCIES);
  assert.ok(await store.has(`sha256:${kserve!.sha256}`), 'the built wheel is in the cache');
  assert.match(kserve!.source!.digest, /^sha256:[0-9a-f]{64}$/);
  // Planned again (another cache): the same wheel, byte for byte.
  const again = await pinPython(plan(dir), target, { architecture: 'amd64' }, { store: await tempStore(), env: process.env, epoch: 0 });
  assert.equal(again.packages[0]!.sha256, kserve!.sha256);
});

test('requirements `pkg @ git+URL@<commit>#subdirectory=` is built at that commit; a moving ref is refused', async () => {
  const dir = join(root, 'requirements');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'requirements.txt'), `kserve @ git+${upstream.url}@${commit}#subdirectory=python/kserve\n`);
  const pinned = await pinPython({ ...plan(dir), lock: join(dir, 'requirements.txt') }, target, { architecture: 'amd64' }, { store: await tempStore(), env: process.env, epoch: 0 });
  assert.deepEqual(pinned.packages.map((pkg) => [pkg.name, pkg.kind, pkg.git?.commit]), [['kserve', 'git', commit]]);

  await writeFile(join(dir, 'requirements.txt'), `kserve @ git+${upstream.url}@v0.15.2#subdirectory=python/kserve\n`);
  await assert.rejects(pinPython({ ...plan(dir), lock: join(dir, 'requirements.txt') }, target, { architecture: 'amd64' }, { store: await tempStore(), env: process.env, epoch: 0 }),
    /^InputError: kserve: the lock names git file:.* at "v0\.15\.2" without a commit/);
});
