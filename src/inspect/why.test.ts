import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { imageWithLayers, tempStore } from '../testing/images.js';
import { readImageFiles } from './image-files.js';
import { imagePackages } from './packages.js';
import { closeNames, debianGraph, pythonGraph, why } from './why.js';

function stanza(name: string, fields: Record<string, string> = {}): string {
  return Object.entries({ Package: name, Status: 'install ok installed', Version: '1.0', Architecture: 'amd64', 'Installed-Size': '10', ...fields })
    .map(([key, value]) => `${key}: ${value}\n`).join('');
}

const SITE = 'opt/venv/lib/python3.11/site-packages';

function dist(name: string, version: string, lines: string[], files: Record<string, string> = {}): Record<string, string> {
  const info = `${SITE}/${name}-${version}.dist-info`;
  const record = [...Object.keys(files).map((path) => `${path},,`), `${name}-${version}.dist-info/METADATA,,`, `${name}-${version}.dist-info/RECORD,,`].join('\n');
  return {
    [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${lines.map((line) => `${line}\n`).join('')}\nbody\n`,
    [`${info}/RECORD`]: record,
    ...Object.fromEntries(Object.entries(files).map(([path, data]) => [`${SITE}/${path}`, data])),
  };
}

// A small Debian world: app needs (mawk | awk-provider) and libbig; tool is a second root sharing libshared.
const STATUS = [
  stanza('app', { Depends: 'mawk | gawk, libbig (>= 1), libshared', 'Installed-Size': '100' }),
  stanza('mawk', { Provides: 'awk', 'Installed-Size': '200' }),
  stanza('libbig', { 'Pre-Depends': 'libhuge', 'Installed-Size': '3000' }),
  stanza('libhuge', { 'Installed-Size': '7000', Depends: 'libshared' }),
  stanza('libshared', { 'Installed-Size': '50' }),
  stanza('tool', { Depends: 'awk, libshared, notinstalled | libshared', 'Installed-Size': '5' }),
  stanza('gone', {}).replace('install ok installed', 'deinstall ok config-files'),
].join('\n');

test('why (Debian): chains from the roots through alternatives and Provides, required-by, and the exclusive closure', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'var/lib/dpkg/status': STATUS });
  const packages = imagePackages(await readImageFiles(image, { where: 'x' }));
  const graph = debianGraph(packages, { architecture: 'amd64' });
  assert.deepEqual(graph.roots, ['app', 'tool']);
  assert.deepEqual(graph.nodes.get('tool')!.requires, ['libshared', 'mawk'], 'awk is provided by mawk; the installed alternative counts');

  const [mawk] = why('mawk', [graph], 'x');
  assert.deepEqual(mawk!.chains.map((chain) => chain.map((step) => step.name).join(' > ')), ['app > mawk', 'tool > mawk']);
  assert.deepEqual(mawk!.requiredBy, ['app', 'tool']);

  const [libbig] = why('libbig', [graph], 'x');
  assert.equal(libbig!.size, 3000 * 1024);
  assert.deepEqual(libbig!.exclusive.map((pkg) => pkg.name), ['libbig', 'libhuge'], 'libshared stays: app and tool need it too');
  assert.equal(libbig!.saves, 10_000 * 1024);

  const [app] = why('app', [graph], 'x');
  assert.equal(app!.root, true);
  assert.deepEqual(app!.exclusive.map((pkg) => pkg.name), ['app', 'libbig', 'libhuge']);

  // The plan's request makes a package a root even when something depends on it.
  const planned = debianGraph(packages, { architecture: 'amd64', requested: { debian: ['libbig', 'app'] } });
  assert.deepEqual(planned.roots, ['libbig', 'app', 'tool']);
  assert.deepEqual(why('libhuge', [planned], 'x')[0]!.chains.map((chain) => chain.map((step) => step.name)), [['libbig', 'libhuge'], ['app', 'libbig', 'libhuge']]);
});

test('why (Python): Requires-Dist with markers for the image\'s Python, extras asked for by dependents, sizes from RECORD', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, {
    'usr/lib/python3.11/os.py': '',
    ...dist('server', '1.0', ['Requires-Dist: Web_Frame[async] (>=2)', 'Requires-Dist: oldlib; python_version < "3.8"', 'Requires-Dist: linuxonly; sys_platform == "linux"']),
    ...dist('web_frame', '2.1', ['Provides-Extra: async', 'Requires-Dist: anyio; extra == "async"', 'Requires-Dist: trio; extra == "trio"'], { 'web_frame/__init__.py': 'x'.repeat(1000) }),
    ...dist('anyio', '4.0', ['Requires-Dist: sniffio'], { 'anyio/__init__.py': 'y'.repeat(500) }),
    ...dist('sniffio', '1.3', []),
    ...dist('oldlib', '1.0', []),
    ...dist('trio', '0.2', []),
    ...dist('linuxonly', '1.0', []),
  });
  const packages = imagePackages(await readImageFiles(image, { where: 'x' }));
  assert.equal(packages.pythonVersion, '3.11.0');
  const graph = pythonGraph(packages, { architecture: 'amd64' });
  assert.deepEqual(graph.nodes.get('server')!.requires, ['linuxonly', 'web-frame']);
  assert.deepEqual(graph.nodes.get('web-frame')!.requires, ['anyio'], 'only the extra server asks for');
  assert.deepEqual(graph.roots, ['oldlib', 'server', 'trio'], 'nothing needs these on Python 3.11 without the trio extra');

  const [sniffio] = why('Sniffio', [debianGraph(packages), graph], 'x');
  assert.equal(sniffio!.ecosystem, 'python');
  assert.deepEqual(sniffio!.chains.map((chain) => chain.map((step) => `${step.name}==${step.version}`)), [['server==1.0', 'web_frame==2.1', 'anyio==4.0', 'sniffio==1.3']]);
  const [web] = why('web-frame', [graph], 'x');
  assert.deepEqual(web!.exclusive.map((pkg) => pkg.name), ['web_frame', 'anyio', 'sniffio']);
  assert.ok(web!.size >= 1000, `web_frame's size counts its files: ${web!.size}`);
  assert.ok(web!.saves >= 1500, `and anyio's: ${web!.saves}`);
});

test('why: an unknown package is one InputError naming the image and close names', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'var/lib/dpkg/status': [stanza('python3-numpy'), stanza('python3-scipy'), stanza('libc6')].join('\n') });
  const graph = debianGraph(imagePackages(await readImageFiles(image, { where: 'x' })));
  assert.throws(() => why('numpi', [graph], 'oci:out:app'), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.oneLine(), 'oci:out:app: no package "numpi" is installed (did you mean python3-numpy?)');
    return true;
  });
  assert.throws(() => why('zzzzzz', [graph], 'x'), /^InputError: x: no package "zzzzzz" is installed$/);
  assert.deepEqual(closeNames('scipy', ['python3-scipy', 'python3-numpy', 'scipy-doc']), ['scipy-doc', 'python3-scipy']);
});
