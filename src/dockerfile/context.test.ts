import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ImagePlan } from '../plan/index.js';
import { tempDir, tempStore } from '../testing/images.js';
import { pinPython } from '../python/pin.js';
import { copyPythonProject } from '../testing/python-project.js';
import { buildWheel } from '../testing/wheels.js';
import { thirdPartyWheels } from '../testing/python-project.js';
import { writeDockerContext } from './context.js';
import { testImagePlan } from '../testing/plans.js';

function fixturePlan(dir: string): ImagePlan {
  return testImagePlan({
    base: { kind: 'distro', spec: { distro: 'debian', release: 'bookworm', packages: ['python3', 'python3-pip'], exclude: [], variant: 'slim', recommends: false, layering: 'grouped', closure: 'runtime', slim: true } },
    app: { dir: join(dir, 'app'), dest: '/app' },
    python: { project: join(dir, 'demo-server'), groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [join(dir, 'wheels')], split: [], allowUnhashed: false, installProject: true },
    runtime: { User: '65532', Env: [], Entrypoint: ['demo-server'], WorkingDir: '/app', Labels: {} },
    created: '1980-01-01T00:00:00Z',
    epoch: 315532800,
  } as Partial<ImagePlan>);
}

// The plan as resolved: Debian's bookworm Python, the lock's packages pinned (no index is asked: find-links).
async function pinnedPlan(dir: string): Promise<ImagePlan> {
  const plan = fixturePlan(dir);
  const target = { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: true, from: 'packages' } as const;
  const python = await pinPython(plan.python!, { ...target, libc: { kind: 'glibc', version: [2, 36] } }, plan.platform, { store: await tempStore(), env: {}, epoch: plan.epoch });
  return { ...plan, pinned: { base: { kind: 'distro', lockName: 'demo', codename: 'bookworm', packages: [] }, python } };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('the fixture project: hashed requirements from poetry.lock, built wheels, app files minus .dockerignore, context.txt', async () => {
  const work = await tempDir();
  const dir = (await copyPythonProject(join(work, 'project'))).dir;
  await writeFile(join(dir, 'app/.dockerignore'), 'secret.txt\n');
  await writeFile(join(dir, 'app/secret.txt'), 'do not ship\n');
  // The generated folder inside the app never copies itself.
  const out = join(dir, 'app/generated/demo');
  const result = await writeDockerContext(await pinnedPlan(dir), out, { manifestDir: dir, syntax: null });

  const requirements = await readFile(join(out, 'python/deps/requirements.txt'), 'utf8');
  assert.deepEqual(requirements.replace(/ \\\n\s+/g, ' ').split('\n').filter((line) => line && !line.startsWith('#')),
    thirdPartyWheels.map((spec) => `${spec.name}==${spec.version} --hash=sha256:${sha256(buildWheel(spec))}`).sort());
  const local = (await readFile(join(out, 'python/local/requirements.txt'), 'utf8')).split('\n').filter((line) => line && !line.startsWith('#'));
  assert.deepEqual(local.map((line) => line.split(' ')[0]), ['demo-common==0.1.0', 'demo-server==0.3.0']);
  for (const line of local) {
    const [spec, hash] = line.split(' --hash=sha256:');
    const [name, version] = spec!.split('==');
    const wheel = await readFile(join(out, 'python/local/wheels', `${name!.replace(/-/g, '_')}-${version}-py3-none-any.whl`));
    assert.equal(sha256(wheel), hash, `${name}: the pinned hash is the built wheel's`);
  }
  // Every pin has its file in the context, so pip needs no index (the lock's 127.0.0.1 index is never asked).
  assert.match(result.dockerfile.replace(/ \\\n\s+/g, ' '), /--no-index --find-links \/kiln\/deps\/find-links\/0 -r \/kiln\/deps\/requirements\.txt/);
  assert.doesNotMatch(result.dockerfile, /--index-url/);

  const listed = (await readFile(join(out, 'context.txt'), 'utf8')).trim().split('\n');
  assert.deepEqual(listed, result.contextFiles);
  assert.ok(listed.includes('app/message.txt'));
  assert.ok(!listed.some((file) => file.includes('secret') || file.includes('generated')), listed.join(' '));
  await assert.rejects(stat(join(out, 'app/secret.txt')), /ENOENT/);
  for (const file of listed) await stat(join(out, file));
  assert.equal(await readFile(join(out, 'Dockerfile'), 'utf8'), result.dockerfile);
  await rm(work, { recursive: true, force: true });
});

test('writing is atomic: a failure leaves the previous folder and no temp folder', async () => {
  const work = await tempDir();
  const dir = (await copyPythonProject(join(work, 'project'))).dir;
  const out = join(work, 'generated/demo');
  const plan = await pinnedPlan(dir);
  await writeDockerContext(plan, out, { manifestDir: dir, syntax: null });
  const before = await readFile(join(out, 'Dockerfile'), 'utf8');
  // The project edited after planning: its wheel no longer has the pinned sha256.
  const pyproject = join(dir, 'demo-server/pyproject.toml');
  await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('0.3.0', '0.3.1'));
  await mkdir(join(dir, 'demo-server/empty'), { recursive: true });
  await assert.rejects(writeDockerContext(plan, out, { manifestDir: dir, syntax: null }), /the plan pins/);
  assert.equal(await readFile(join(out, 'Dockerfile'), 'utf8'), before);
  assert.deepEqual(await readdir(join(work, 'generated')), ['demo']);
  await rm(work, { recursive: true, force: true });
});
