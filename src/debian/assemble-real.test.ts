// One real assembly: bookworm's own python3 packages, fetched with apt-get download, run in a chroot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobStore } from '../cache/blob-store.js';
import { downloadDebs, PYTHON_BASE } from '../testing/real-debs.js';
import { readLayerTree, resolvePath, type TreeNode } from '../testing/layer-tree.js';
import { assembleDebianBase } from './assemble.js';

const run = promisify(execFile);

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
