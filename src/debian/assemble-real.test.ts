// One real assembly: bookworm's own python3 packages, fetched with apt-get download, run in a chroot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { resolvedFor, type BuiltTestDeb } from '../testing/deb-file.js';
import { readLayerTree, resolvePath, type TreeNode } from '../testing/layer-tree.js';
import { assembleDebianBase } from './assemble.js';

const run = promisify(execFile);

/** PYTHON_BASE is a bookworm python3 runtime closure, base files included, in install order. */
export const PYTHON_BASE = [
  'gcc-12-base', 'libc6', 'libgcc-s1', 'base-files', 'netbase', 'tzdata', 'media-types', 'ca-certificates', 'libssl3', 'zlib1g',
  'libcrypt1', 'libexpat1', 'libffi8', 'libbz2-1.0', 'liblzma5', 'libsqlite3-0', 'libtinfo6', 'libncursesw6', 'readline-common',
  'libreadline8', 'libuuid1', 'libdb5.3', 'libgdbm6', 'libcom-err2', 'libkeyutils1', 'libkrb5support0', 'libk5crypto3',
  'libkrb5-3', 'libgssapi-krb5-2', 'libtirpc-common', 'libtirpc3', 'libnsl2',
  'libpython3.11-minimal', 'python3.11-minimal', 'python3-minimal', 'libpython3.11-stdlib', 'python3.11', 'libpython3-stdlib', 'python3',
];

/** downloadDebs fetches packages with apt-get download into dir, updating the lists once if needed; undefined if apt cannot. */
export async function downloadDebs(dir: string, names: readonly string[]): Promise<BuiltTestDeb[] | undefined> {
  const download = () => run('apt-get', ['download', '-q', ...names], { cwd: dir, maxBuffer: 1 << 24 });
  try {
    await download().catch(async () => { await run('apt-get', ['update', '-qq']); await download(); });
  } catch {
    return undefined;
  }
  const files = await readdir(dir);
  const debs: BuiltTestDeb[] = [];
  for (const name of names) {
    const file = files.find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    assert.ok(file, `apt-get download gave no .deb for ${name}`);
    const debPath = join(dir, file);
    const { stdout } = await run('dpkg-deb', ['--field', debPath, 'Version', 'Architecture']);
    const fields = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(': ') as [string, string]));
    debs.push({ debPath, pkg: await resolvedFor(debPath, name, fields.Version!, fields.Architecture!) });
  }
  return debs;
}

const dir = await mkdtemp(join(tmpdir(), 'kiln-real-debs-'));
after(() => rm(dir, { recursive: true, force: true }));

test('bookworm python3 packages assemble into an image where python3 runs and finds its CA bundle', async (t) => {
  const debs = await downloadDebs(dir, PYTHON_BASE);
  if (!debs) return t.skip('apt-get download cannot reach a Debian mirror');
  const store = new BlobStore(join(dir, 'cache'));
  const os = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
  const base = await assembleDebianBase(debs, { store, epoch: 1700000000, variant: 'distroless', layering: 'grouped', os, architecture: 'amd64' });
  const merged = new Map<string, TreeNode>();
  for (const layer of base.layers) for (const [path, node] of await readLayerTree(layer.built.layer)) merged.set(path, node);
  assert.equal(resolvePath(merged, 'usr/bin/python3')?.path, 'usr/bin/python3.11');
  assert.equal(resolvePath(merged, 'lib64/ld-linux-x86-64.so.2')?.path, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  assert.equal(resolvePath(merged, 'etc/os-release')?.path, 'usr/lib/os-release', "base-files' os-release is kept");
  const statusD = [...merged.keys()].filter((p) => /^var\/lib\/dpkg\/status\.d\/[^/]+$/.test(p) && !p.endsWith('.md5sums'));
  assert.equal(statusD.length, PYTHON_BASE.length);
  if (process.getuid?.() !== 0) return t.skip('running the result needs chroot (root)');
  const root = join(dir, 'rootfs');
  await mkdir(root);
  for (const layer of base.layers) await run('tar', ['-xzf', store.path(layer.built.digest), '-C', root]);
  const script = 'import ssl, sqlite3, json, ctypes, zlib; c = ssl.create_default_context(); print(json.dumps([ssl.OPENSSL_VERSION, c.cert_store_stats()["x509_ca"]]))';
  // No SSL_CERT_FILE here: libssl3's compiled-in /usr/lib/ssl/cert.pem must lead to the bundle by itself.
  const { stdout } = await run('chroot', [root, '/usr/bin/python3', '-c', script], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  const [openssl, cas] = JSON.parse(stdout) as [string, number];
  assert.match(openssl, /^OpenSSL 3\./);
  assert.ok(cas > 100, `python's default SSL context loaded ${cas} CA certificates`);
});
