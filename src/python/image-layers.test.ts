import { testImagePlan } from '../testing/plans.js';
import { test } from 'node:test';
import type { ProgressEvent } from '../progress.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImagePlan, PythonPlan } from '../plan/index.js';
import { InputError, IntegrityError } from '../errors.js';
import type { Addendum } from '../oci/mutate.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readLayerTree } from '../testing/layer-tree.js';
import { copyPythonProject, thirdPartyWheels } from '../testing/python-project.js';
import { wheelFilename } from '../testing/wheels.js';
import { probeBasePython } from './base-python.js';
import { pythonEnv, pythonLayers } from './image-layers.js';
import { pinPython } from './pin.js';
import type { Image } from '../oci/image.js';
import type { BlobStore } from '../cache/blob-store.js';

const STATUS = [
  'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u7\n',
  'Package: libpython3.11-minimal\nStatus: install ok installed\nVersion: 3.11.2-6+deb12u6\n',
].join('\n');

const debianLike = {
  'usr/bin/python3.11': 'ELF',
  'usr/bin/python3': 'ELF',
  'usr/lib/python3.11/os.py': '',
  'var/lib/dpkg/status': STATUS,
};

test('probeBasePython reads the interpreter, its full version and glibc from the layers and dpkg', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, debianLike, { 'usr/lib/python3/dist-packages/pip/__init__.py': '' });
  assert.deepEqual(await probeBasePython(image, { store, what: 'demo' }), {
    pythonFullVersion: '3.11.2',
    interpreter: '/usr/bin/python3',
    executable: '/usr/bin/python3.11',
    libc: { kind: 'glibc', version: [2, 36] },
    distroPackages: true,
  });
});

test('probeBasePython: no dpkg means micro 0 and an old glibc; a whited-out interpreter is gone', async () => {
  const store = await tempStore();
  const bare = await imageWithLayers(store, { 'usr/local/bin/python3.12': 'ELF', 'usr/lib/x86_64-linux-gnu/libc.so.6': '' });
  assert.deepEqual(await probeBasePython(bare, { store, what: 'demo' }), {
    pythonFullVersion: '3.12.0',
    interpreter: '/usr/local/bin/python3.12',
    executable: '/usr/local/bin/python3.12',
    libc: { kind: 'glibc', version: [2, 17] },
    distroPackages: false,
  });
  const removed = await imageWithLayers(store, { 'usr/bin/python3.11': 'ELF' }, { 'usr/bin/.wh.python3.11': '' });
  await assert.rejects(probeBasePython(removed, { store, what: 'demo' }), (error) =>
    error instanceof InputError && error.oneLine() === 'demo: the base has no Python interpreter (no python3.X in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); add python3 to the base\'s packages');
});

test('pythonEnv puts the venv first on PATH once', () => {
  assert.deepEqual(pythonEnv('/opt/venv', ['PATH=/usr/bin:/opt/venv/bin:/bin']), ['VIRTUAL_ENV=/opt/venv', 'PATH=/opt/venv/bin:/usr/bin:/bin']);
});

async function fixtureProject(): Promise<{ dir: string; wheels: string }> {
  return copyPythonProject(await tempDir());
}

function imagePlan(python: PythonPlan): ImagePlan {
  return testImagePlan({ python });
}

// Resolve, then apply: the target is probed from the base's layers, the packages pinned, then installed.
async function pin(plan: ImagePlan, base: Image, store: BlobStore): Promise<ImagePlan> {
  const probed = await probeBasePython(base, { store, what: plan.name });
  const python = await pinPython(plan.python!, { ...probed, from: 'layers' }, plan.platform, { store, env: {}, epoch: plan.epoch });
  return { ...plan, pinned: { base: { kind: 'scratch' }, python } };
}

async function planAndApply(plan: ImagePlan, base: Image, context: { store: BlobStore; env: NodeJS.ProcessEnv; log: (line: string) => void }): Promise<Addendum[]> {
  return pythonLayers(await pin(plan, base, context.store), context);
}

function pythonPlan(dir: string, wheels: string, overrides: Partial<PythonPlan> = {}): PythonPlan {
  return {
    project: join(dir, 'demo-server'),
    groups: ['main'],
    extras: [],
    prefix: '/opt/venv',
    extraIndexUrls: [],
    findLinks: [wheels],
    split: [],
    allowUnhashed: false,
    installProject: true,
    ...overrides,
  };
}

async function layerPaths(addendum: Addendum): Promise<string[]> {
  return [...(await readLayerTree(addendum.layer))].filter(([, node]) => node.type === 'file').map(([path]) => path).sort();
}

test('pythonLayers: venv, dependencies with a split package, path dependencies, project; warm rebuild needs no wheels', async () => {
  const store = await tempStore();
  const base = await imageWithLayers(store, debianLike);
  const { dir, wheels } = await fixtureProject();
  const logs: string[] = [];
  const events: ProgressEvent[] = [];
  const context = { store, env: {}, log: (line: string) => logs.push(line), progress: (event: ProgressEvent) => events.push(event) };
  const plan = imagePlan(pythonPlan(dir, wheels, { split: ['TinyFormat'] }));
  const pinned = await pin(plan, base, store);
  const layers = await pythonLayers(pinned, context);
  assert.deepEqual(layers.map((layer) => layer.history?.comment), ['python venv', 'python dependencies', 'python package tinyformat', 'python path dependencies', 'python project']);
  const site = 'opt/venv/lib/python3.11/site-packages';
  const venv = await readLayerTree(layers[0]!.layer);
  assert.equal(venv.get('opt/venv/pyvenv.cfg')!.data.toString(), 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\nexecutable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv --without-pip /opt/venv\n');
  assert.equal(venv.get('opt/venv/bin/python3')!.linkname, '/usr/bin/python3');
  assert.ok((await layerPaths(layers[1]!)).includes(`${site}/colorlite/__init__.py`));
  assert.ok(!(await layerPaths(layers[1]!)).some((path) => path.includes('tinyformat')), 'the split package has its own layer');
  assert.ok((await layerPaths(layers[2]!)).includes(`${site}/tinyformat/__init__.py`));
  assert.ok((await layerPaths(layers[3]!)).includes(`${site}/demo_common/__init__.py`));
  const project = await readLayerTree(layers[4]!.layer);
  assert.match(project.get('opt/venv/bin/demo-server')!.data.toString(), /^#!\/opt\/venv\/bin\/python\n/);
  assert.equal(project.get('opt/venv/bin/demo-server')!.mode & 0o777, 0o755);
  assert.ok(project.has(`${site}/demo_server-0.3.0.dist-info/RECORD`));
  // Progress: the index wheels fetched as one task, then each layer's wheels extracted and compressed, each task climbing to its total.
  const tasks = [...new Set(events.map((event) => `${event.stage} ${event.what}`))];
  assert.deepEqual(tasks, ['fetch 2 wheels', ...['python dependencies', 'python package tinyformat', 'python path dependencies', 'python project'].flatMap((group) => [`extract ${group} (1 wheel)`, `compress layer ${group}`])]);
  for (const task of tasks) {
    const list = events.filter((event) => `${event.stage} ${event.what}` === task);
    assert.ok(list.every((event, i) => event.done <= event.total && (i === 0 || event.done >= list[i - 1]!.done)), task);
    assert.ok(list.at(-1)!.done === list.at(-1)!.total && list.at(-1)!.total > 0, task);
  }
  events.length = 0;

  // Warm: same digests although the find-links folder is gone, since no wheel is fetched or unpacked again.
  await rm(wheels, { recursive: true });
  logs.length = 0;
  const again = await pythonLayers(pinned, context);
  assert.deepEqual(await Promise.all(again.map((a) => a.layer.digest())), await Promise.all(layers.map((a) => a.layer.digest())));
  assert.ok(!logs.some((line) => /fetching|installing python dependencies|installing python package/.test(line)), logs.join('\n'));
  assert.deepEqual(events, [], 'a warm build fetches, extracts and compresses nothing');
});

test('pythonLayers: a split name that is not installed is a one-line error; another prefix moves everything', async () => {
  const store = await tempStore();
  const base = await imageWithLayers(store, debianLike);
  const { dir, wheels } = await fixtureProject();
  const context = { store, env: {}, log: () => undefined };
  await assert.rejects(planAndApply(imagePlan(pythonPlan(dir, wheels, { split: ['torch'] })), base, context), /python\.split names torch, which is not among the packages installed from .*poetry\.lock/);
  const layers = await planAndApply(imagePlan(pythonPlan(dir, wheels, { prefix: '/srv/env', installProject: false })), base, context);
  assert.deepEqual(layers.map((layer) => layer.history?.comment), ['python venv', 'python dependencies', 'python path dependencies']);
  assert.ok((await layerPaths(layers[1]!)).every((path) => path.startsWith('srv/env/')));
});

test('pythonLayers: requirements.txt pinned by hash only finds its wheels in find-links, and is warm the second time', async () => {
  const store = await tempStore();
  const base = await imageWithLayers(store, debianLike);
  const { dir, wheels } = await fixtureProject();
  const project = join(dir, 'plain');
  await mkdir(project);
  const lines = await Promise.all(thirdPartyWheels.map(async (spec) => {
    const data = await readFile(join(wheels, wheelFilename(spec)));
    return `${spec.name}==${spec.version} --hash=sha256:${createHash('sha256').update(data).digest('hex')}\n`;
  }));
  await writeFile(join(project, 'requirements.txt'), lines.join(''));
  const context = { store, env: {}, log: () => undefined };
  const plan = imagePlan(pythonPlan(dir, wheels, { project, installProject: false }));
  const layers = await planAndApply(plan, base, context);
  assert.deepEqual(layers.map((layer) => layer.history?.comment), ['python venv', 'python dependencies']);
  assert.ok((await layerPaths(layers[1]!)).includes('opt/venv/lib/python3.11/site-packages/tinyformat/__init__.py'));
  await rm(wheels, { recursive: true });
  // Planning again finds the hash-only choice remembered, so neither planning nor applying needs the wheels.
  const again = await planAndApply(plan, base, context);
  assert.equal(await again[1]!.layer.digest(), await layers[1]!.layer.digest());
});

test('pythonLayers installs what the plan pinned: a wheel replaced behind it is refused, naming the entry and the file', async () => {
  const base = await imageWithLayers(await tempStore(), debianLike);
  const { dir, wheels } = await fixtureProject();
  const plan = await pin(imagePlan(pythonPlan(dir, wheels, { installProject: false })), base, await tempStore());
  const victim = plan.pinned!.python!.packages.find((pkg) => pkg.kind === 'index')!;
  await writeFile(join(wheels, victim.filename), 'not the wheel that was planned');
  // Another machine (a fresh cache) fetches the file again and finds it changed.
  await assert.rejects(pythonLayers(plan, { store: await tempStore(), env: {}, log: () => undefined }), (error) =>
    error instanceof IntegrityError && error.oneLine().startsWith(`demo: `) && error.oneLine().includes(victim.filename));
});

test('pythonLayers: requirements.txt without --hash is refused unless allow_unhashed, and installed with it', async () => {
  const store = await tempStore();
  const base = await imageWithLayers(store, debianLike);
  const { dir, wheels } = await fixtureProject();
  const project = join(dir, 'plain');
  await mkdir(project);
  await writeFile(join(project, 'requirements.txt'), thirdPartyWheels.map((spec) => `${spec.name}==${spec.version}\n`).join(''));
  const context = { store, env: {}, log: () => undefined };
  await assert.rejects(
    planAndApply(imagePlan(pythonPlan(dir, wheels, { project, installProject: false })), base, context),
    (error: Error) => error instanceof IntegrityError && /requirements\.txt: colorlite==2\.1\.0 has no hash to verify its download/.test(error.message),
  );
  const layers = await planAndApply(imagePlan(pythonPlan(dir, wheels, { project, installProject: false, allowUnhashed: true })), base, context);
  assert.deepEqual(layers.map((layer) => layer.history?.comment), ['python venv', 'python dependencies']);
  const paths = await layerPaths(layers[1]!);
  for (const name of ['tinyformat', 'colorlite']) assert.ok(paths.includes(`opt/venv/lib/python3.11/site-packages/${name}/__init__.py`), name);
});
