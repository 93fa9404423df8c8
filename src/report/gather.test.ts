import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordBuild } from '../cache/build-records.js';
import { recordScan } from '../scan/scan-record.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { indexFromImages } from '../oci/image-index.js';
import { gatherReport, type ReportData } from './gather.js';
import { renderReport } from './render.js';
import type { SizeNode } from './treemap.js';

const SITE = 'usr/local/lib/python3.11/site-packages';

const STATUS = [
  'Package: python3-demo\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\nInstalled-Size: 2\nDepends: libdemo (>= 1.0)\n',
  'Package: libdemo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2-3\nInstalled-Size: 8\n',
  'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\nInstalled-Size: 1\n',
].join('\n');

const DEBIAN_LAYER: Record<string, string> = {
  'var/lib/dpkg/status': STATUS,
  'var/lib/dpkg/info/libdemo.md5sums': `${'0'.repeat(32)}  usr/lib/x86_64-linux-gnu/libdemo.so.1\n`,
  'var/lib/dpkg/info/python3-demo.md5sums': `${'1'.repeat(32)}  usr/lib/python3/dist-packages/demo/__init__.py\n`,
  'usr/lib/x86_64-linux-gnu/libdemo.so.1': 'L'.repeat(5000),
  'usr/lib/python3/dist-packages/demo/__init__.py': 'D'.repeat(100),
  'etc/hostname': 'box\n',
};

function dist(name: string, version: string, files: Record<string, string>, requires: string[] = []): Record<string, string> {
  const info = `${SITE}/${name.replace(/[^A-Za-z0-9]+/g, '_')}-${version}.dist-info`;
  const record = [...Object.keys(files), `${info.slice(SITE.length + 1)}/METADATA`, `${info.slice(SITE.length + 1)}/RECORD`].map((path) => `${path},,`).join('\n');
  return {
    [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${requires.map((r) => `Requires-Dist: ${r}\n`).join('')}`,
    [`${info}/RECORD`]: record,
    ...Object.fromEntries(Object.entries(files).map(([path, text]) => [`${SITE}/${path}`, text])),
  };
}

const MANIFEST = `registries:
  local: {repository: "registry.example/apps"}
images:
  demo:
    base: {distro: debian, release: bookworm, packages: [python3-demo]}
    tags: ["1.0", latest]
  never:
    base: {distro: debian, release: bookworm, packages: [libdemo]}
`;

// What the tree holds, as nested [name, size, children] tuples, for a whole-object comparison.
function shape(node: SizeNode): unknown {
  return node.children ? [node.name, node.size, node.key ?? '', node.children.map(shape)] : [node.name, node.size, node.key ?? ''];
}

async function fixture(): Promise<{ data: ReportData; manifestFile: string; digest: string; layerSizes: number[] }> {
  const dir = await tempDir();
  const manifestFile = join(dir, 'kiln.yaml');
  await writeFile(manifestFile, MANIFEST);
  const store = await tempStore();
  const image = await imageWithLayers(store, DEBIAN_LAYER, {
    ...dist('Tiny_Fmt', '1.0<b>', { 'tiny_fmt/__init__.py': 'T'.repeat(2000) }),
    ...dist('colorx', '2.0', { 'colorx/__init__.py': 'C'.repeat(300) }, ['tiny-fmt>=1.0', 'pytest; extra == "test"']),
  }, { 'app/server.py': 'print("hi")\n' });
  const key = { manifestFile, name: 'demo' };
  await recordBuild(store, key, image, [], { size: 111, unpackedSize: 222, seconds: 3.5 });
  await recordBuild(store, key, image, [], { size: 112, unpackedSize: 223, seconds: 0.25 });
  await recordScan(store, key, {
    time: '2026-12-01T10:00:00.000Z', database: '/db/osv.zip', filters: { ignoreUnfixed: false }, packages: 5, ignored: 0, filtered: 0,
    findings: [{ id: 'CVE-2026-0001', package: 'libdemo', ecosystem: 'Debian:12', installed: '1.2-3', fixed: '1.2-4', severity: 'HIGH', summary: 'overflow in <demo>' }],
  });
  const data = await gatherReport({ manifestFile, store, cwd: dir, env: {}, kilnVersion: '9.9.9', now: new Date('2026-12-02T12:00:00Z') });
  const layerSizes = await Promise.all((await image.layers()).map((layer) => layer.uncompressedSize()));
  return { data, manifestFile, digest: await image.digest(), layerSizes };
}

test('gatherReport: each entry\'s tags and destinations, last build, packages with chains, size tree, history and scan; an unbuilt entry is "not built"', async () => {
  const { data, manifestFile, digest, layerSizes } = await fixture();
  assert.deepEqual([data.manifestFile, data.generated, data.kilnVersion], [manifestFile, '2026-12-02T12:00:00.000Z', '9.9.9']);
  const [demo, never] = data.entries;
  assert.deepEqual({ ...never!, destinations: never!.destinations.map((d) => d.registry) }, {
    name: 'never', tags: ['latest'], immutableTags: false, publish: true, outputs: [], destinations: ['local'], notBuilt: 'not built', images: [], history: [],
  });
  assert.deepEqual(demo!.tags, ['1.0', 'latest']);
  assert.deepEqual(demo!.destinations, [{ registry: 'local', references: ['docker://registry.example/apps/demo:1.0', 'docker://registry.example/apps/demo:latest'] }]);
  assert.deepEqual(demo!.history.map(({ digest: d, size, unpackedSize, seconds }) => [d, size, unpackedSize, seconds]), [[digest, 111, 222, 3.5], [digest, 112, 223, 0.25]]);
  assert.equal(demo!.scan?.findings[0]?.id, 'CVE-2026-0001');

  assert.equal(demo!.digest, digest);
  assert.equal(demo!.images.length, 1);
  const image = demo!.images[0]!;
  assert.equal(image.digest, digest);
  assert.equal(image.platform, 'linux/amd64');
  assert.deepEqual(image.layers.map((layer) => [layer.uncompressedSize, layer.holds]), layerSizes.map((size, i) => [size, `test layer ${i}`]));
  assert.deepEqual(image.packages.map((pkg) => [pkg.key, pkg.size, pkg.layer, pkg.root, pkg.requested, pkg.chains, pkg.requiredBy, pkg.saves]), [
    ['debian:base-files', 1024, undefined, true, false, [['base-files']], [], 1024],
    ['debian:libdemo', 8192, 0, false, false, [['python3-demo', 'libdemo']], ['python3-demo'], 8192],
    ['debian:python3-demo', 2048, 0, true, true, [['python3-demo']], [], 2048 + 8192],
    ['python:colorx@usr/local/lib/python3.11/site-packages', image.packages[3]!.size, 1, true, false, [['colorx']], [], image.packages[3]!.size + image.packages[4]!.size],
    ['python:tiny-fmt@usr/local/lib/python3.11/site-packages', image.packages[4]!.size, 1, false, false, [['colorx', 'Tiny_Fmt']], ['colorx'], image.packages[4]!.size],
  ]);
  assert.ok(image.packages[4]!.size > 2000, 'a distribution\'s size counts the files its RECORD lists');

  // Layer 0: the two debs' files by package and folder, the rest (dpkg's database, /etc) by folder.
  const metadata = (name: string): number => image.tree.children![1]!.children!.find((node) => node.name === name)!.size;
  assert.deepEqual(shape(image.tree), [
    'demo', layerSizes.reduce((a, b) => a + b, 0), '', [
      ['layer 0', layerSizes[0], '', [
        ['libdemo', 5000, 'debian:libdemo', [['/usr/lib/x86_64-linux-gnu', 5000, 'debian:libdemo']]],
        ['python3-demo', 100, 'debian:python3-demo', [['/usr/lib/python3', 100, 'debian:python3-demo']]],
        ['/var/lib/dpkg', Object.entries(DEBIAN_LAYER).filter(([path]) => path.startsWith('var/lib/dpkg/')).reduce((sum, [, text]) => sum + text.length, 0), ''],
        ['/etc', 4, ''],
      ]],
      ['layer 1', layerSizes[1], '', [
        ['Tiny_Fmt', metadata('Tiny_Fmt'), 'python:tiny-fmt@usr/local/lib/python3.11/site-packages', [['/usr/local/lib', metadata('Tiny_Fmt'), 'python:tiny-fmt@usr/local/lib/python3.11/site-packages']]],
        ['colorx', metadata('colorx'), 'python:colorx@usr/local/lib/python3.11/site-packages', [['/usr/local/lib', metadata('colorx'), 'python:colorx@usr/local/lib/python3.11/site-packages']]],
      ]],
      ['layer 2', layerSizes[2], '', [['/app', 12, '']]],
    ],
  ]);
});

test('renderReport: one self-contained page; every text from the data is escaped, in HTML and in the script data', async () => {
  const { data } = await fixture();
  const html = renderReport(data);
  assert.equal(renderReport(data), html, 'the same data gives the same page');
  assert.doesNotMatch(html, /<(?:link|img|iframe)\b|\bsrc=|https?:\/\//, 'nothing to fetch');
  assert.doesNotMatch(html, /<b>|<demo>/, 'no markup from the data');
  assert.match(html, /1\.0&#60;b&#62;/);
  assert.match(html, /overflow in &#60;demo&#62;/);
  const json = /<script type="application\/json" id="kiln-data">(.*?)<\/script>/s.exec(html)![1]!;
  assert.doesNotMatch(json, /</);
  const client = JSON.parse(json) as Array<Record<string, { chains: string[][] }>>;
  assert.deepEqual(client[0]!['python:tiny-fmt@usr/local/lib/python3.11/site-packages']!.chains, [['colorx', 'Tiny_Fmt']]);
  assert.equal(client.length, 1, 'one view per built image: the unbuilt entry has none');
  assert.equal((html.match(/<div class="view" data-view="\d+">/g) ?? []).length, 1);
  assert.doesNotMatch(html, /image index/, 'a single-platform entry is not an index');
  assert.equal((html.match(/<g data-layer="\d+"/g) ?? []).length, 3, 'one treemap box per layer of the built entry');
  assert.match(html, /<p class="not-built">not built<\/p>/);
  assert.match(html, /<p class="not-scanned">not scanned/);
  assert.match(html, /scanned 2026-12-01T10:00:00\.000Z against \/db\/osv\.zip: 5 packages, 1 findings \(CRITICAL: 0, HIGH: 1,/);
  assert.equal((html.match(/<rect class="size"/g) ?? []).length, 2, 'one bar per recorded build');
  assert.match(html, /docker:\/\/registry\.example\/apps\/demo:1\.0/);
});

test('gatherReport: an entry whose last build left the cache is "not built", with why, and the others still report', async () => {
  const dir = await tempDir();
  const manifestFile = join(dir, 'kiln.yaml');
  await writeFile(manifestFile, MANIFEST);
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'a.txt': 'a' });
  const gone = await imageWithLayers(store, { 'b.txt': 'b' });
  await recordBuild(store, { manifestFile, name: 'demo' }, image);
  await recordBuild(store, { manifestFile, name: 'never' }, gone);
  await rm(store.path((await gone.manifest()).layers[0]!.digest));
  const data = await gatherReport({ manifestFile, store, cwd: dir, env: {} });
  assert.equal(data.entries[0]!.images[0]?.digest, await image.digest());
  assert.deepEqual(data.entries[1]!.images, []);
  assert.equal(data.entries[1]!.digest, undefined);
  assert.match(data.entries[1]!.notBuilt!, /^its last build \(sha256:[0-9a-f]{64}\) cannot be read: image sha256:[0-9a-f]{64}: layer sha256:[0-9a-f]{64} is no longer in the cache at /);
});

test('gatherReport and renderReport: a multi-platform entry shows every platform, each with its own treemap, tables and chains', async () => {
  const dir = await tempDir();
  const manifestFile = join(dir, 'kiln.yaml');
  await writeFile(manifestFile, MANIFEST);
  const store = await tempStore();
  const amd64 = await imageWithLayers(store, DEBIAN_LAYER, { 'app/server.py': 'print("amd64")\n' });
  const arm64 = await imageWithLayers(store, DEBIAN_LAYER, { 'app/server.py': 'print("arm64")\n' }, { 'app/extra.txt': 'arm64 only' });
  const index = indexFromImages([{ platform: { os: 'linux', architecture: 'amd64' }, image: amd64 }, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, image: arm64 }]);
  await recordBuild(store, { manifestFile, name: 'never' }, index);
  await recordBuild(store, { manifestFile, name: 'demo' }, amd64);
  const data = await gatherReport({ manifestFile, store, cwd: dir, env: {} });
  const multi = data.entries[1]!;
  assert.equal(multi.digest, await index.digest());
  assert.deepEqual(multi.images.map((image) => [image.platform, image.digest, image.layers.length]), [
    ['linux/amd64', await amd64.digest(), 2], ['linux/arm64/v8', await arm64.digest(), 3],
  ]);
  assert.deepEqual(multi.images[1]!.packages.map((pkg) => pkg.key), ['debian:base-files', 'debian:libdemo', 'debian:python3-demo']);

  const html = renderReport(data);
  const views = [...html.matchAll(/<div class="view" data-view="(\d+)">/g)].map((match) => Number(match[1]));
  assert.deepEqual(views, [0, 1, 2], 'demo, then each platform of the index, numbered across the page');
  const client = JSON.parse(/<script type="application\/json" id="kiln-data">(.*?)<\/script>/s.exec(html)![1]!) as Array<Record<string, unknown>>;
  assert.equal(client.length, 3);
  assert.ok(client[2]!['debian:libdemo'], 'the second platform\'s packages are in its own view\'s data');
  assert.match(html, new RegExp(`image index <code>${await index.digest()}</code> · 2 platforms: linux/amd64, linux/arm64/v8`));
  assert.match(html, /<h3 class="platform">linux\/arm64\/v8<\/h3>/);
  assert.equal((html.match(/<svg class="treemap"/g) ?? []).length, 3);
});
