import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { assembleDebianBase } from '../debian/assemble.js';
import { appendLayers, emptyImage } from '../oci/mutate.js';
import { readImage } from '../places/index.js';
import { runKiln } from '../testing/cli.js';
import { requireTool, sh } from '../testing/docker.js';
import { tempDir } from '../testing/images.js';
import { downloadDebs, PYTHON_BASE } from '../testing/real-debs.js';
import { diffImages } from './diff.js';
import { inspectImage } from './image-summary.js';
import { debianGraph, pythonGraph, why } from './why.js';

const dir = await tempDir('kiln-inspect-');
after(() => rm(dir, { recursive: true, force: true }));

test('inspectImage on a base kiln assembles from real bookworm packages: layers with what they hold, every package with size and layer; why libssl3', async (t) => {
  const debsDir = join(dir, 'debs');
  await mkdir(debsDir, { recursive: true });
  const debs = await downloadDebs(debsDir, PYTHON_BASE);
  if (!debs) return t.skip('apt-get download cannot reach a Debian mirror');
  const store = new BlobStore(join(dir, 'cache'));
  const os = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
  const base = await assembleDebianBase(debs, { store, epoch: 1700000000, variant: 'distroless', layering: 'grouped', os, architecture: 'amd64' });
  const image = await appendLayers(emptyImage(), ...base.layers.map((layer) => ({ layer: layer.built.layer, history: layer.history })));
  const { summary, packages } = await inspectImage(image, { name: 'python-base' });
  assert.deepEqual(summary.os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  assert.deepEqual(summary.debs.map((deb) => deb.name).sort(), [...PYTHON_BASE].sort());
  assert.ok(summary.debs.every((deb) => deb.installedSize > 0 && deb.layer !== undefined), 'every package has a size and a layer');
  // Each package sits in the layer holding its files: libc6 in the first (core) layer, python3.11 in a later one.
  const layerOf = (name: string): number => summary.debs.find((deb) => deb.name === name)!.layer!;
  assert.equal(layerOf('libc6'), 0);
  assert.ok(layerOf('python3.11-minimal') > 0);
  assert.ok(summary.layers[layerOf('python3.11-minimal')]!.debs.includes('python3.11-minimal'));
  assert.ok(summary.layers.every((layer) => layer.uncompressedSize > layer.size && layer.files > 0));
  assert.equal(summary.unpackedSize, summary.layers.reduce((sum, layer) => sum + layer.uncompressedSize, 0));
  assert.ok(summary.layers[0]!.folders.some((folder) => folder.path === '/usr/lib'), JSON.stringify(summary.layers[0]!.folders));
  assert.equal(packages.pythonVersion?.slice(0, 5), '3.11.');

  const graph = debianGraph(packages, { architecture: 'amd64', requested: { debian: ['python3'] } });
  const [libssl] = why('libssl3', [graph, pythonGraph(packages)], 'python-base');
  assert.equal(libssl!.chains[0]![0]!.name, 'python3');
  assert.equal(libssl!.chains[0]!.at(-1)!.name, 'libssl3');
  assert.ok(libssl!.requiredBy.includes('libpython3.11-minimal'), libssl!.requiredBy.join(' '));
  // python3, the request, takes its whole runtime with it; python3.11 alone takes nothing else: libpython3-stdlib
  // keeps libpython3.11-stdlib. tzdata is a root of its own (nothing depends on it), so neither takes it.
  const [python3] = why('python3', [graph], 'python-base');
  const [python311] = why('python3.11', [graph], 'python-base');
  assert.equal(python3!.root, true);
  assert.ok(['python3.11', 'libpython3.11-stdlib'].every((name) => python3!.exclusive.some((pkg) => pkg.name === name)));
  assert.ok(!python3!.exclusive.some((pkg) => pkg.name === 'tzdata'));
  assert.ok(!python311!.exclusive.some((pkg) => pkg.name === 'libpython3.11-stdlib'));
  assert.deepEqual(python311!.chains[0]!.map((step) => step.name), ['python3', 'python3.11']);
});

// A foreign image: built by Docker Engine from a Dockerfile, pushed to the test registry, read back by kiln.
async function dockerImage(context: string, tag: string, files: Record<string, string>, dockerfile: string): Promise<void> {
  await rm(context, { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(context, path, '..'), { recursive: true });
    await writeFile(join(context, path), text);
  }
  await writeFile(join(context, 'Dockerfile'), dockerfile);
  await sh('docker', ['build', '-q', '-t', tag, context]);
  await sh('docker', ['push', tag]);
}

const STATUS = (numpy: string): string => [
  'Package: python3-sklearn\nStatus: install ok installed\nVersion: 1.2.1+dfsg-1\nArchitecture: all\nInstalled-Size: 1000\nDepends: python3-numpy, python3-scipy\n',
  'Package: python3-scipy\nStatus: install ok installed\nVersion: 1.10.1-2\nArchitecture: amd64\nInstalled-Size: 50000\nDepends: python3-numpy (>= 1:1.22), python3-numpy-abi9 | python3-numpy-dev\n',
  `Package: python3-numpy\nStatus: install ok installed\nVersion: ${numpy}\nArchitecture: amd64\nInstalled-Size: 26000\nProvides: python3-numpy-abi9\n`,
].join('\n');
const SITE = 'usr/local/lib/python3.11/site-packages';

test('a foreign image (docker build, pushed to a registry): inspect, why and diff read it from its layers', { timeout: 300_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const registry = process.env.KILN_TEST_REGISTRY ?? '127.0.0.1:5000';
  const reachable = await fetch(`http://${registry}/v2/`).then((response) => response.ok, () => false);
  if (!reachable) {
    if (process.env.KILN_TEST_SERVICES === '1') throw new Error(`the test registry ${registry} does not answer`);
    return t.skip(`no registry at ${registry}`);
  }
  const repository = `${registry}/kiln-test/inspect-${process.pid}`;
  const dockerfile = (env: string): string => `FROM scratch\nCOPY rootfs/ /\nENV ${env}\nUSER 65532\nENTRYPOINT ["/app/server"]\nLABEL org.example.team=ml\n`;
  const metadata = (version: string): Record<string, string> => ({
    [`rootfs/${SITE}/flask-${version}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: Flask\nVersion: ${version}\nRequires-Dist: Werkzeug>=3\nRequires-Dist: asyncio-extra; extra == "async"\n`,
    [`rootfs/${SITE}/flask-${version}.dist-info/RECORD`]: `flask/__init__.py,,\nflask-${version}.dist-info/METADATA,,\n`,
    [`rootfs/${SITE}/flask/__init__.py`]: `# flask ${version}\n`,
    [`rootfs/${SITE}/werkzeug-3.0.1.dist-info/METADATA`]: 'Metadata-Version: 2.1\nName: Werkzeug\nVersion: 3.0.1\n',
    [`rootfs/${SITE}/werkzeug-3.0.1.dist-info/RECORD`]: 'werkzeug/__init__.py,,\n',
    [`rootfs/${SITE}/werkzeug/__init__.py`]: '#'.repeat(2000),
  });
  const v1 = `${repository}:v1`;
  const v2 = `${repository}:v2`;
  try {
    await dockerImage(join(dir, 'v1'), v1, { 'rootfs/var/lib/dpkg/status': STATUS('1:1.24.2-1'), 'rootfs/app/server': '#!/bin/sh\n', ...metadata('3.0.0') }, dockerfile('PORT=8080'));
    await dockerImage(join(dir, 'v2'), v2, { 'rootfs/var/lib/dpkg/status': STATUS('1:1.24.2-1+deb12u1'), 'rootfs/app/server': '#!/bin/sh\nexec true\n', ...metadata('3.0.3') }, dockerfile('PORT=9090'));
    const env = { KILN_INSECURE_REGISTRIES: registry, KILN_CACHE_DIR: join(dir, 'foreign-cache') };
    const open = async (tag: string, digests = false) => inspectImage(await readImage(`docker://${tag}`, { store: new BlobStore(env.KILN_CACHE_DIR), env }), { name: tag, digests });

    const one = await open(v1);
    assert.deepEqual(one.summary.config.entrypoint, ['/app/server']);
    assert.equal(one.summary.config.user, '65532');
    assert.deepEqual(one.summary.config.labels, { 'org.example.team': 'ml' });
    assert.ok(one.summary.config.env.includes('PORT=8080'));
    assert.deepEqual(one.summary.debs.map((deb) => [deb.name, deb.installedSize]), [['python3-numpy', 26000 * 1024], ['python3-scipy', 50000 * 1024], ['python3-sklearn', 1000 * 1024]]);
    assert.deepEqual(one.summary.python.map((dist) => [dist.name, dist.version, dist.location]), [['Flask', '3.0.0', `/${SITE}`], ['Werkzeug', '3.0.1', `/${SITE}`]]);
    assert.equal(one.summary.python[1]!.size, 2000);

    const [numpy] = why('python3-numpy', [debianGraph(one.packages), pythonGraph(one.packages)], v1);
    assert.deepEqual(numpy!.chains.map((chain) => chain.map((step) => step.name)), [['python3-sklearn', 'python3-numpy']]);
    assert.deepEqual(numpy!.requiredBy, ['python3-scipy', 'python3-sklearn']);
    const [werkzeug] = why('werkzeug', [debianGraph(one.packages), pythonGraph(one.packages)], v1);
    assert.deepEqual(werkzeug!.chains.map((chain) => chain.map((step) => step.name)), [['Flask', 'Werkzeug']]);

    const diff = diffImages(await open(v1, true), await open(v2, true));
    assert.deepEqual(diff.debs.upgraded, [{ name: 'python3-numpy', from: '1:1.24.2-1', to: '1:1.24.2-1+deb12u1' }]);
    assert.deepEqual(diff.python.upgraded, [{ name: 'flask', from: '3.0.0', to: '3.0.3' }]);
    assert.deepEqual(diff.config, [{ field: 'env PORT', before: '8080', after: '9090' }]);
    assert.deepEqual(diff.files.changes.find((change) => change.path === '/app/server'), { path: '/app/server', change: 'modified', sizeBefore: 10, sizeAfter: 20, what: ['size'] });

    const printed = await runKiln(['diff', `docker://${v1}`, `docker://${v2}`], { env });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^debian packages: 0 added, 0 removed, 1 upgraded, 0 downgraded\n {2}\^ {2}python3-numpy {2}1:1\.24\.2-1 -> 1:1\.24\.2-1\+deb12u1$/m);
    assert.match(printed.stdout, /^ {2}env PORT {2}8080 {2}-> {2}9090$/m);
  } finally {
    await sh('docker', ['rmi', v1, v2]).catch(() => undefined);
  }
});
