import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withConfig } from '../oci/mutate.js';
import { imageWithLayers, tempStore } from '../testing/images.js';
import { diffImages } from './diff.js';
import { inspectImage } from './image-summary.js';

const deb = (name: string, version: string): string => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n`;
const SITE = 'usr/local/lib/python3.11/site-packages';
const dist = (name: string, version: string): Record<string, string> => ({
  [`${SITE}/${name}-${version}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
  [`${SITE}/${name}-${version}.dist-info/RECORD`]: '',
});

test('diffImages: shared and changed layers, packages added/removed/upgraded/downgraded, files by size, mode and content, config', async () => {
  const store = await tempStore();
  const shared = { 'etc/hostname': 'box\n', 'usr/bin/tool': 'v1' };
  const a = await withConfig(await imageWithLayers(store, shared, {
    'var/lib/dpkg/status': [deb('libssl3', '3.0.15-1'), deb('zlib1g', '1:1.2.13'), deb('old', '1.0')].join('\n'),
    ...dist('requests', '2.31.0'), ...dist('numpy', '2.0.0'),
    'app/same.py': 'same', 'app/edit.py': 'print(1)', 'app/gone.py': 'x'.repeat(300),
  }), (config) => { config.config = { Env: ['PORT=8080', 'DEBUG=1'], Entrypoint: ['server'], Labels: { a: '1' } }; });
  const b = await withConfig(await imageWithLayers(store, shared, {
    'var/lib/dpkg/status': [deb('libssl3', '3.0.16-1'), deb('zlib1g', '1:1.2.11'), deb('new', '2.0')].join('\n'),
    ...dist('requests', '2.32.3'), ...dist('numpy', '2.0.0'), ...dist('idna', '3.7'),
    'app/same.py': 'same', 'app/edit.py': 'print(2)', 'app/new.bin': 'y'.repeat(1000),
  }), (config) => { config.config = { Env: ['PORT=9090', 'EXTRA=x'], Entrypoint: ['server'], User: '65532', Labels: { a: '1', b: '2' } }; });
  const diff = diffImages(await inspectImage(a, { name: 'A', digests: true }), await inspectImage(b, { name: 'B', digests: true }));
  assert.equal(diff.layers.shared.length, 1);
  assert.deepEqual([diff.layers.removed.length, diff.layers.added.length], [1, 1]);
  assert.deepEqual(diff.debs, {
    added: [{ name: 'new', version: '2.0' }],
    removed: [{ name: 'old', version: '1.0' }],
    upgraded: [{ name: 'libssl3', from: '3.0.15-1', to: '3.0.16-1' }],
    downgraded: [{ name: 'zlib1g', from: '1:1.2.13', to: '1:1.2.11' }],
  });
  assert.deepEqual(diff.python, { added: [{ name: 'idna', version: '3.7' }], removed: [], upgraded: [{ name: 'requests', from: '2.31.0', to: '2.32.3' }], downgraded: [] });
  const files = diff.files.changes.filter((change) => change.path.startsWith('/app/'));
  assert.deepEqual(files, [
    { path: '/app/edit.py', change: 'modified', sizeBefore: 8, sizeAfter: 8, what: ['content'] },
    { path: '/app/gone.py', change: 'removed', sizeBefore: 300 },
    { path: '/app/new.bin', change: 'added', sizeAfter: 1000 },
  ]);
  assert.ok(diff.files.changes.some((change) => change.path === '/var/lib/dpkg/status' && change.change === 'modified'));
  assert.deepEqual(diff.config, [
    { field: 'user', after: '65532' },
    { field: 'env DEBUG', before: '1' },
    { field: 'env EXTRA', after: 'x' },
    { field: 'env PORT', before: '8080', after: '9090' },
    { field: 'label b', after: '2' },
  ]);
});

test('diffImages: an image against itself has no changes; a mode change alone is reported', async () => {
  const store = await tempStore();
  const a = await imageWithLayers(store, { 'app/run.sh': 'echo hi', 'var/lib/dpkg/status': deb('a', '1') });
  const same = await inspectImage(a, { name: 'A', digests: true });
  const none = diffImages(same, same);
  assert.deepEqual([none.files.changes, none.config, none.layers.added, none.debs.added], [[], [], [], []]);
  const { buildLayer } = await import('../layer/build.js');
  const { appendLayers } = await import('../oci/mutate.js');
  const chmod = await buildLayer([{ path: 'app/run.sh', type: 'file', mode: 0o755, content: { kind: 'buffer', data: Buffer.from('echo hi') } }], { store, epoch: 0 });
  const b = await appendLayers(a, { layer: chmod.layer, history: { created_by: 'chmod +x' } });
  const diff = diffImages(same, await inspectImage(b, { name: 'B', digests: true }));
  assert.deepEqual(diff.files.changes, [{ path: '/app/run.sh', change: 'modified', sizeBefore: 7, sizeAfter: 7, what: ['mode'] }]);
  assert.deepEqual(diff.layers.added.map((layer) => layer.createdBy), ['chmod +x']);
});
