// Components beyond main (Debian's non-free, with security's `updates/` spelling) and stacked base layers,
// resolved against a real signed repository served over HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, ResolutionError } from '../errors.js';
import { createAptRepo, type AptRepoPackage } from '../testing/apt-repo.js';
import { formatLock, packagesFromLock, readLock, requestHash, resolveBase, writeLock, type BaseRequest } from './lock.js';
import { findPreset, presetSources } from './presets.js';
import { tempStore } from '../testing/images.js';

const basics: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata'].map((name) => ({ name, version: '1' }));
const repo = await createAptRepo({
  suite: 'bookworm',
  packages: [
    ...basics,
    { name: 'libc6', version: '2.36-9', architecture: 'amd64' },
    { name: 'python3', version: '3.11.2-1', architecture: 'amd64', depends: 'libc6' },
    { name: 'libcudart11.0', version: '11.8.89~11.8.0-5', architecture: 'amd64', component: 'non-free', depends: 'libc6 (>= 2.34)' },
    { name: 'libcublaslt11', version: '11.11.3.6~11.8.0-5', architecture: 'amd64', component: 'non-free', depends: 'libc6, libgcc-s1' },
    { name: 'libcublas11', version: '11.11.3.6~11.8.0-5', architecture: 'amd64', component: 'non-free', depends: 'libcublaslt11 (= 11.11.3.6~11.8.0-5)' },
    { name: 'libgcc-s1', version: '12.2.0-14', architecture: 'amd64' },
  ],
  suites: [
    { suite: 'bookworm-updates', packages: [] },
    // security.debian.org lists `updates/non-free` and keeps the index under non-free/.
    {
      suite: 'bookworm-security', componentPrefix: 'updates/', indexDirs: ['bare'],
      packages: [{ name: 'libcudart11.0', version: '11.8.89~11.8.0-5+deb12u1', architecture: 'amd64', component: 'non-free', depends: 'libc6 (>= 2.34)' }],
    },
  ],
});
after(() => repo.close());

const request: BaseRequest = {
  distro: 'debian', release: 'bookworm', architecture: 'amd64', packages: ['python3'],
  mirrors: { mirror: repo.url, securityMirror: repo.url }, keyring: repo.keyring,
};


test('presetSources reads the named components in every suite; the defaults are main (Debian), main and universe (Ubuntu)', () => {
  const bookworm = findPreset('debian', 'bookworm');
  assert.deepEqual(presetSources(bookworm, 'amd64', {}, undefined, ['main', 'contrib', 'non-free']).map((s) => `${s.suite} ${s.components.join(',')}`), [
    'bookworm main,contrib,non-free', 'bookworm-updates main,contrib,non-free', 'bookworm-security main,contrib,non-free',
  ]);
  assert.deepEqual(presetSources(findPreset('ubuntu', 'noble'), 'amd64', {}, undefined, ['main', 'restricted'])[2]!.components, ['main', 'restricted']);
});

test('a package from non-free needs the component; the lock records the components', async () => {
  const store = await tempStore();
  await assert.rejects(resolveBase({ ...request, packages: ['libcudart11.0'] }, { store }),
    (e) => e instanceof ResolutionError && /libcudart11\.0/.test(e.message));
  const withNonFree = { ...request, packages: ['python3', 'libcudart11.0'], components: ['main', 'non-free'] };
  const base = await resolveBase(withNonFree, { store });
  assert.deepEqual(base.components, ['main', 'non-free']);
  // The update comes from bookworm-security's non-free (listed there as updates/non-free): the highest version wins.
  assert.deepEqual(base.packages.map((p) => `${p.name}=${p.version}`), [
    'base-files=1', 'ca-certificates=1', 'libc6=2.36-9', 'libcudart11.0=11.8.89~11.8.0-5+deb12u1', 'netbase=1', 'python3=3.11.2-1', 'tzdata=1',
  ]);
  assert.match(base.packages.find((p) => p.name === 'libcudart11.0')!.filename, /^pool\/non-free\/.*deb12u1_amd64\.deb$/);

  const path = join(await mkdtemp(join(tmpdir(), 'kiln-lock-')), 'kiln.lock');
  await writeLock(path, { version: 1, bases: { cuda: base } });
  assert.match(await readFile(path, 'utf8'), /variant = "distroless"\ncomponents = \[ "main", "non-free" \]\n/);
  assert.deepEqual((await readLock(path)).bases.cuda, base);
  assert.equal(packagesFromLock(base, withNonFree).length, 7);
  // Another component set is another request: the lock entry is out of date.
  assert.throws(() => packagesFromLock(base, { ...withNonFree, components: ['main', 'contrib', 'non-free'] }), /out of date/);
});

test('the default components keep the request hash of locks written before components existed', async () => {
  assert.equal(requestHash({ ...request, components: ['main'] }), requestHash(request));
  assert.equal(requestHash({ ...request, components: ['non-free', 'main'] }), requestHash({ ...request, components: ['main', 'non-free', 'main'] }));
  assert.notEqual(requestHash({ ...request, components: ['main', 'non-free'] }), requestHash(request));
  // A lock without the field reads as the preset's defaults.
  const base = await resolveBase(request, { store: await tempStore() });
  const path = join(await mkdtemp(join(tmpdir(), 'kiln-lock-')), 'kiln.lock');
  await writeLock(path, { version: 1, bases: { old: base } });
  await writeFile(path, (await readFile(path, 'utf8')).replace(/components = .*\n/, ''));
  assert.deepEqual((await readLock(path)).bases.old!.components, ['main']);
});

test('a component a suite lacks is one error naming it and the suite', async () => {
  await assert.rejects(resolveBase({ ...request, components: ['main', 'contrib'] }, { store: await tempStore() }), (e) =>
    e instanceof InputError && /^suite bookworm has no component "contrib" \(.*InRelease lists main non-free\)$/.test(e.message)
    && !e.message.includes('\n'));
});

test('a stacked layer holds what it adds to the base; the base below is the same as without it', async () => {
  const store = await tempStore();
  // The CPU base reads main only: the base below the layer is the same packages, so the same layers.
  const cpu = await resolveBase({ ...request, packages: ['python3', 'libc6'] }, { store });
  const layered = { ...request, packages: ['python3', 'libc6'], components: ['main', 'non-free'], layers: { cuda: ['libcudart11.0', 'libcublas11'] } };
  const cuda = await resolveBase(layered, { store });
  const below = cuda.packages.filter((p) => p.layer === undefined);
  assert.deepEqual(below, cpu.packages);
  assert.deepEqual(cuda.packages.filter((p) => p.layer === 'cuda').map((p) => p.name), ['libcublas11', 'libcublaslt11', 'libcudart11.0', 'libgcc-s1']);
  assert.notEqual(requestHash(layered), requestHash({ ...layered, layers: { cuda: ['libcudart11.0'] } }));

  const text = formatLock({ version: 1, bases: { cuda } });
  assert.match(text, /name = "libcublas11"\n(.*\n){5}mirror = ".*"\nlayer = "cuda"\n/);
  const path = join(await mkdtemp(join(tmpdir(), 'kiln-lock-')), 'kiln.lock');
  await writeLock(path, { version: 1, bases: { cuda } });
  assert.deepEqual(packagesFromLock((await readLock(path)).bases.cuda!, layered).filter((p) => p.layer).map((p) => p.name),
    ['libcublas11', 'libcublaslt11', 'libcudart11.0', 'libgcc-s1']);
});

test('a layer that adds nothing is refused naming the layer', async () => {
  await assert.rejects(resolveBase({ ...request, components: ['main', 'non-free'], layers: { extra: ['python3'] } }, { store: await tempStore() }),
    (e) => e instanceof ResolutionError && e.message === 'base layer "extra" adds no package: python3 is already in the base below');
});
