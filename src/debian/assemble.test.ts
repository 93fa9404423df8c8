import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { IntegrityError, InputError } from '../errors.js';
import { buildTestDeb, type BuiltTestDeb } from '../testing/deb-file.js';
import { readLayerTree, resolvePath } from '../testing/layer-tree.js';
import { assembleDebianBase, debianBaseImage, type AssembleOptions } from './assemble.js';
import { slimPolicy } from './slim.js';
import { SLIM_MEMO } from '../plan/slim-rules.js';
import { ZipReader } from '../python/wheel/zip-read.js';

const dir = await mkdtemp(join(tmpdir(), 'kiln-assemble-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const CERT_A = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
const CERT_B = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';

const debs: BuiltTestDeb[] = [
  await buildTestDeb(dir, {
    name: 'libc6',
    files: {
      'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': { data: 'loader', mode: 0o755 },
      'lib64/ld-linux-x86-64.so.2': { symlink: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
      'usr/share/doc/libc6/copyright': 'GPL',
      'usr/share/doc/libc6/changelog.Debian.gz': 'changes',
      'usr/share/man/man1/ldd.1.gz': 'man',
    },
  }),
  await buildTestDeb(dir, {
    name: 'ca-certificates', compression: 'zstd',
    files: {
      'usr/share/ca-certificates/mozilla/B_Root.crt': CERT_B,
      'usr/share/ca-certificates/mozilla/A (Root), Two.crt': CERT_A,
      'etc/ssl/certs': { dir: true },
    },
  }),
  await buildTestDeb(dir, { name: 'python3.11-minimal', compression: 'gzip', files: { 'usr/bin/python3.11': { data: 'py', mode: 0o755 } } }),
  await buildTestDeb(dir, { name: 'libfoo1', files: { 'usr/lib/x86_64-linux-gnu/libfoo.so.1': 'foo', 'usr/share/foo/shared.txt': 'same' } }),
  await buildTestDeb(dir, { name: 'foo-data', files: { 'usr/share/foo/shared.txt': 'same', 'lib32/libfoo32.so': '32' } }),
];

const os = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };

function options(store: BlobStore, extra: Partial<AssembleOptions> = {}): AssembleOptions {
  return { store, epoch: 1600000000, variant: 'distroless', layering: 'grouped', os, architecture: 'amd64', ...extra };
}

test('assembleDebianBase (single layer) gives a runnable tree: merged /usr, effects, status.d, trimmed docs', async () => {
  const store = new BlobStore(join(dir, 'cache-single'));
  const base = await assembleDebianBase(debs, options(store, { layering: 'single' }));
  assert.equal(base.layers.length, 1);
  assert.deepEqual(base.config.config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt']);
  const tree = await readLayerTree(base.layers[0]!.built.layer);
  assert.equal(resolvePath(tree, 'lib64/ld-linux-x86-64.so.2')?.path, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  for (const link of ['bin', 'sbin', 'lib', 'lib64', 'lib32']) assert.equal(tree.get(link)?.linkname, `usr/${link}`, link);
  assert.equal(resolvePath(tree, 'usr/bin/python3')?.path, 'usr/bin/python3.11', 'python3 made as python3-minimal would');
  assert.equal(tree.get('usr/local/lib/python3.11/dist-packages')?.type, 'directory');
  // CA bundle: bytewise path order ("A (Root), Two" < "B_Root"), each certificate newline-terminated.
  assert.equal(tree.get('etc/ssl/certs/ca-certificates.crt')?.data.toString(), `${CERT_A}\n${CERT_B}`);
  assert.equal(tree.get('etc/ssl/certs/A_=Root=__Two.pem')?.linkname, '/usr/share/ca-certificates/mozilla/A (Root), Two.crt');
  assert.equal(resolvePath(tree, 'usr/lib/ssl/cert.pem')?.path, 'etc/ssl/certs/ca-certificates.crt');
  assert.match(tree.get('etc/passwd')!.data.toString(), /^nonroot:x:65532:65532:nonroot:\/home\/nonroot:/m);
  assert.deepEqual([tree.get('home/nonroot')?.uid, tree.get('home/nonroot')?.mode], [65532, 0o700]);
  assert.equal(tree.get('tmp')?.mode, 0o1777);
  assert.match(tree.get('etc/os-release')!.data.toString(), /^VERSION_CODENAME=bookworm$/m);
  // Docs: copyright stays, changelogs and man pages go.
  assert.ok(tree.has('usr/share/doc/libc6/copyright'));
  assert.ok(!tree.has('usr/share/doc/libc6/changelog.Debian.gz'));
  assert.ok(!tree.has('usr/share/man/man1/ldd.1.gz'));
  // status.d: exactly the assembled packages, each with Status right after Package.
  const statusNames = [...tree.keys()].filter((path) => path.startsWith('var/lib/dpkg/status.d/') && !path.endsWith('.md5sums'))
    .map((path) => path.slice('var/lib/dpkg/status.d/'.length)).sort();
  assert.deepEqual(statusNames, debs.map((deb) => deb.pkg.name).sort());
  assert.match(tree.get('var/lib/dpkg/status.d/libc6')!.data.toString(), /^Package: libc6\nStatus: install ok installed\nVersion: 1\.0-1\n/);
  const sums = tree.get('var/lib/dpkg/status.d/libc6.md5sums')!.data.toString();
  assert.match(sums, /  lib\/x86_64-linux-gnu\/ld-linux-x86-64\.so\.2$/m);
  assert.doesNotMatch(sums, /ldd\.1\.gz|changelog/, 'trimmed files are not claimed');
});

test('assembleDebianBase is deterministic and a warm rebuild opens no .deb at all', async () => {
  const storeA = new BlobStore(join(dir, 'cache-a'));
  const storeB = new BlobStore(join(dir, 'cache-b'));
  const first = await assembleDebianBase(debs, options(storeA));
  const second = await assembleDebianBase(debs, options(storeB));
  assert.deepEqual(second.layers.map((l) => l.built.digest), first.layers.map((l) => l.built.digest));
  assert.deepEqual(first.layers.map((l) => l.history.comment), ['kiln debian layer "core"', 'kiln debian layer "python"', 'kiln debian layer "rest"', 'kiln debian layer "kiln"']);
  assert.ok(first.layers.every((l) => !l.built.fromCache));
  const missing = debs.map((deb) => ({ ...deb, debPath: join(dir, 'gone', deb.pkg.name) }));
  const warm = await assembleDebianBase(missing, options(storeA));
  assert.ok(warm.layers.every((l) => l.built.fromCache));
  assert.deepEqual(warm.layers.map((l) => l.built.digest), first.layers.map((l) => l.built.digest));
  const otherEpoch = await assembleDebianBase(debs, options(storeA, { epoch: 1600000001 }));
  assert.notEqual(otherEpoch.layers[0]!.built.digest, first.layers[0]!.built.digest);
});

test('grouped layers share the core layer across package sets and stack to the same files', async () => {
  const store = new BlobStore(join(dir, 'cache-share'));
  const all = await assembleDebianBase(debs, options(store));
  const fewer = await assembleDebianBase(debs.filter((deb) => deb.pkg.name !== 'libfoo1' && deb.pkg.name !== 'foo-data'), options(store));
  assert.equal(fewer.layers[0]!.built.digest, all.layers[0]!.built.digest, 'same core packages, same core blob');
  assert.ok(fewer.layers[0]!.built.fromCache);
  const image = await debianBaseImage(debs, options(store));
  const config = await image.config();
  assert.deepEqual(config.rootfs.diff_ids, all.layers.map((l) => l.built.diffId));
  assert.equal(config.history?.length, all.layers.length);
  const top = await readLayerTree(all.layers.at(-1)!.built.layer);
  assert.ok(top.has('var/lib/dpkg/status.d/foo-data') && top.has('lib32'));
});

test('a stacked layer sits above the unchanged base: its packages, their records, nothing of the base', async () => {
  const store = new BlobStore(join(dir, 'cache-stacked'));
  const cuda = await buildTestDeb(dir, {
    name: 'libcudart11.0', files: { 'usr/lib/x86_64-linux-gnu/libcudart.so.11.0': 'cudart', 'lib64/cuda-marker': 'm' },
  });
  const stacked = [...debs, { ...cuda, pkg: { ...cuda.pkg, layer: 'cuda' } }];
  for (const variant of ['distroless', 'slim'] as const) {
    const cpu = await assembleDebianBase(debs, options(store, { variant }));
    const gpu = await assembleDebianBase(stacked, options(store, { variant, stack: ['cuda'] }));
    assert.deepEqual(gpu.layers.slice(0, -1).map((l) => l.built.digest), cpu.layers.map((l) => l.built.digest), `${variant}: every base layer shared`);
    assert.equal(gpu.layers.at(-1)!.history.comment, 'kiln debian layer "cuda"');
    const tree = await readLayerTree(gpu.layers.at(-1)!.built.layer);
    assert.equal(tree.get('usr/lib/x86_64-linux-gnu/libcudart.so.11.0')?.data.toString(), 'cudart');
    assert.equal(tree.get('lib64')?.linkname, 'usr/lib64', 'merged-/usr link for what the layer ships');
    assert.ok(!tree.has('usr/bin/python3.11') && !tree.has('etc/passwd'), 'nothing of the base');
    if (variant === 'distroless') {
      assert.deepEqual([...tree.keys()].filter((path) => path.startsWith('var/lib/dpkg/status.d/')), ['var/lib/dpkg/status.d/libcudart11.0', 'var/lib/dpkg/status.d/libcudart11.0.md5sums']);
    } else {
      // slim keeps one status file: the layer rewrites it with every package.
      const status = tree.get('var/lib/dpkg/status')!.data.toString();
      assert.deepEqual([...status.matchAll(/^Package: (.*)$/gm)].map((m) => m[1]), ['ca-certificates', 'foo-data', 'libc6', 'libcudart11.0', 'libfoo1', 'python3.11-minimal']);
    }
  }
  await assert.rejects(assembleDebianBase(stacked, options(store)), (e) =>
    e instanceof InputError && e.message === 'package libcudart11.0 is locked in base layer "cuda", which kiln.yaml does not name; run kiln lock');
});

test('assembleDebianBase checks each .deb against its sha256 before reading it', async () => {
  const store = new BlobStore(join(dir, 'cache-bad'));
  const tampered = debs.map((deb) => (deb.pkg.name === 'libfoo1' ? { ...deb, pkg: { ...deb.pkg, sha256: '0'.repeat(64) } } : deb));
  await assert.rejects(assembleDebianBase(tampered, options(store)), (error: unknown) =>
    error instanceof IntegrityError && /^package libfoo1: .* has sha256 [0-9a-f]{64} \(\d+ bytes\), the index says 0{64}/.test(error.message));
});

test('overlapping files: different content is refused naming both packages; Replaces settles it', async () => {
  const store = new BlobStore(join(dir, 'cache-clash'));
  const a = await buildTestDeb(dir, { name: 'clash-a', files: { 'etc/clash.conf': 'a' } });
  const b = await buildTestDeb(dir, { name: 'clash-b', files: { 'etc/clash.conf': 'b' } });
  await assert.rejects(assembleDebianBase([a, b], options(store, { layering: 'single' })), (error: unknown) =>
    error instanceof InputError && error.message === 'packages clash-a and clash-b both ship "/etc/clash.conf" (file vs file, different content) and neither Replaces the other');
  const c = await buildTestDeb(dir, { name: 'clash-c', files: { 'etc/clash.conf': 'c' }, control: { Replaces: 'clash-a (<< 2)' } });
  const base = await assembleDebianBase([c, a], options(store, { layering: 'single' }));
  const tree = await readLayerTree(base.layers[0]!.built.layer);
  assert.equal(tree.get('etc/clash.conf')?.data.toString(), 'c', 'the replacing package wins whatever the order');
});

test('slim rules leave no trace: md5sums list only what is in the image; the stdlib moves into python3X.zip; counts are memoised by diffId', async () => {
  const stdlib = [
    await buildTestDeb(dir, {
      name: 'libpython3.11-minimal',
      files: {
        'usr/lib/python3.11/os.py': 'landmark', 'usr/lib/python3.11/json/__init__.py': 'import json', 'usr/lib/python3.11/LICENSE.txt': 'PSF',
        'usr/lib/python3.11/_sysconfigdata__x86_64-linux-gnu.py': 'data', 'usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py': { symlink: '_sysconfigdata__x86_64-linux-gnu.py' },
        'usr/lib/python3.11/distutils/__init__.py': 'completed by python3-distutils', 'usr/lib/python3.11/pdb.py': 'pdb',
      },
    }),
    await buildTestDeb(dir, { name: 'python3.11', files: { 'usr/bin/pdb3.11': { symlink: '../lib/python3.11/pdb.py' } } }),
    await buildTestDeb(dir, { name: 'python3-pkg', files: { 'usr/lib/python3/dist-packages/pkg/__init__.py': 'x', 'usr/lib/python3/dist-packages/pkg/tests/test_x.py': 'test', 'usr/include/pkg.h': 'h' } }),
  ];
  const store = new BlobStore(join(dir, 'cache-slim'));
  const base = await assembleDebianBase([...debs, ...stdlib], options(store, { layering: 'single' }));
  const built = base.layers[0]!.built;
  const tree = await readLayerTree(built.layer);
  const zipPath = join(dir, 'python311.zip');
  await writeFile(zipPath, tree.get('usr/lib/python311.zip')!.data);
  const zip = await ZipReader.open(zipPath);
  assert.deepEqual(zip.entries.map((entry) => entry.name), ['json/__init__.py'], 'landmark, symlink targets, data and distutils stay files');
  await zip.close();
  for (const stays of ['os.py', 'pdb.py', 'LICENSE.txt', '_sysconfigdata__x86_64-linux-gnu.py', 'distutils/__init__.py']) assert.ok(tree.has(`usr/lib/python3.11/${stays}`), stays);
  assert.ok(!tree.has('usr/lib/python3.11/json/__init__.py'));
  assert.ok(tree.has('usr/lib/python3/dist-packages/pkg/__init__.py'));
  for (const gone of ['usr/lib/python3/dist-packages/pkg/tests/test_x.py', 'usr/include/pkg.h']) assert.ok(!tree.has(gone), gone);
  // Every md5sums line names a file that is in the layer.
  const listed = [...tree].filter(([path]) => path.endsWith('.md5sums')).flatMap(([, file]) => file.data.toString().trim().split('\n'))
    .filter(Boolean).map((line) => line.replace(/^[0-9a-f]{32} +/, ''));
  assert.ok(listed.includes('usr/lib/python3.11/os.py'));
  for (const path of listed) assert.ok(resolvePath(tree, path), `md5sums lists ${path}, which is not in the image`);
  assert.deepEqual(await store.getMemo(SLIM_MEMO, built.diffId.replace(':', '-')), {
    docs: { files: 1, bytes: 7 }, headers: { files: 1, bytes: 1 }, man: { files: 1, bytes: 3 },
    'python-stdlib-zip': { files: 1, bytes: 11 }, 'python-tests': { files: 1, bytes: 4 },
  });
  // slim: false keeps everything, stdlib included.
  const full = await assembleDebianBase([...debs, ...stdlib], options(store, { layering: 'single', slim: slimPolicy(false) }));
  const fullTree = await readLayerTree(full.layers[0]!.built.layer);
  for (const path of ['usr/lib/python3.11/json/__init__.py', 'usr/include/pkg.h', 'usr/share/man/man1/ldd.1.gz']) assert.ok(fullTree.has(path), path);
  assert.ok(!fullTree.has('usr/lib/python311.zip'));
});
