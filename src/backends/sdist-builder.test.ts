import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PythonPlan, PythonTarget } from '../plan/types.js';
import { pinPython } from '../python/pin.js';
import { requireTool } from '../testing/docker.js';
import { tempDir, tempStore } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { COMPILED_SDIST, writeSdist, writeUvProject } from '../testing/sdists.js';
import { containerSdistBuilder, pipWheelArgs, sdistBuilderSpec } from './sdist-builder.js';
import { BUILDER_SLIM } from '../plan/slim-rules.js';

// Debian bookworm's Python, which the builder base (assembled from Debian's packages) has.
const TARGET: PythonTarget = { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: true, from: 'packages' };
const BOOKWORM = { distro: 'debian' as const, release: 'bookworm', packages: ['python3'], exclude: [], variant: 'distroless' as const, recommends: false, layering: 'grouped' as const, closure: 'runtime' as const, slim: true };

test('the builder base is the entry\'s base plus pip, the setuptools backend, Python headers and a compiler; pip runs offline', () => {
  assert.deepEqual(sdistBuilderSpec(BOOKWORM), { ...BOOKWORM, packages: ['python3', 'python3-pip', 'python3-setuptools', 'python3-wheel', 'python3-dev', 'gcc', 'libc6-dev'], variant: 'slim', closure: 'full', slim: BUILDER_SLIM });
  const plan = testImagePlan({});
  const args = pipWheelArgs('kiln-base/x:1', plan, TARGET, { name: 'tiny-ext', version: '0.1', sdistFilename: 'tiny_ext-0.1.tar.gz', sourceDir: '/w/src', outDir: '/w/out', epoch: 315532800 }, '1000:1000');
  assert.deepEqual(args.slice(0, 4), ['run', '--rm', '--network', 'none']);
  assert.ok(args.join(' ').endsWith('--entrypoint /usr/bin/python3 kiln-base/x:1 -m pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /kiln/out /kiln/src'), args.join(' '));
});

test('a C-extension sdist is built through the builder (python.build_sdists: builder), recorded as built from sdist, and its wheel imports', { timeout: 900_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const dir = await tempDir();
  const sdist = await writeSdist(join(dir, 'sdists'), COMPILED_SDIST);
  const project = join(dir, 'project');
  await writeUvProject(project, [{ spec: COMPILED_SDIST, ...sdist }]);
  const python: PythonPlan = { project, groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [], split: [], allowUnhashed: false, installProject: false, buildSdists: 'builder' };
  const plan = testImagePlan({ name: 'ext', base: { kind: 'distro', spec: BOOKWORM }, python });
  const store = await tempStore();
  const logs: string[] = [];
  const log = (line: string): void => { logs.push(line); };
  const pin = () => pinPython(python, TARGET, plan.platform, { store, env: process.env, epoch: plan.epoch, log, sdistBuilder: containerSdistBuilder(plan, TARGET, { store, env: process.env, manifestDir: dir, log }) });

  const pinned = await pin();
  const [pkg] = pinned.packages;
  assert.equal(pkg!.filename, 'tiny_ext-0.1-cp311-cp311-linux_x86_64.whl');
  assert.deepEqual(pkg!.sdist, { filename: 'tiny_ext-0.1.tar.gz', sha256: sdist.sha256, url: `file://${sdist.path}`, build: 'builder' });
  assert.ok(logs.some((line) => line.startsWith('tiny-ext 0.1: building tiny_ext-0.1.tar.gz in the builder (it has tiny_ext.c)')), logs.join('\n'));

  // The extension the builder compiled runs in Debian bookworm's Python 3.11 (this machine's /usr/bin/python3).
  const site = join(dir, 'site');
  execFileSync('/usr/bin/python3', ['-m', 'zipfile', '-e', store.path(`sha256:${pkg!.sha256}`), site]);
  assert.equal(execFileSync('/usr/bin/python3', ['-c', 'import tiny_ext; print(tiny_ext.answer())'], { env: { PYTHONPATH: site }, encoding: 'utf8' }).trim(), '42');

  // Cached by the sdist's sha256: planning again runs no container.
  logs.length = 0;
  assert.deepEqual((await pin()).packages, pinned.packages);
  assert.ok(!logs.some((line) => /pip wheel/.test(line)), logs.join('\n'));
});
