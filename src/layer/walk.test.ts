import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InputError, IntegrityError } from '../errors.js';
import { blobLayer } from '../oci/layer.js';
import { appendLayers, emptyImage } from '../oci/mutate.js';
import type { TarEntry } from '../tar/entry.js';
import { tempStore } from '../testing/images.js';
import { buildLayer } from './build.js';
import { applyWhiteout, FILE_LIMIT, memberPath, readLimited, walkLayers, type Whiteout } from './walk.js';

const file = (path: string, data: string, mode = 0o644): TarEntry => ({ path, type: 'file', mode, content: { kind: 'buffer', data: Buffer.from(data) } });

test('walkLayers: members in tar order with normalised paths, types, sizes and modes; whiteouts apart; then each layer end', async () => {
  const store = await tempStore();
  const lower = await buildLayer([
    { path: 'etc', type: 'directory', mode: 0o755 },
    file('etc/os-release', 'ID=debian\n'),
    { path: 'etc/alias', type: 'symlink', mode: 0o777, linkTarget: 'os-release' },
    { path: 'etc/hard', type: 'hardlink', mode: 0o644, linkTarget: 'etc/os-release' },
    file('usr/bin/tool', '#!/bin/sh\n', 0o4755),
  ], { store, epoch: 0, addParents: false });
  const upper = await buildLayer([
    { path: 'etc/alias', type: 'whiteout', mode: 0 },
    { path: 'usr', type: 'opaque-whiteout', mode: 0 },
    file('usr/new', 'x'),
  ], { store, epoch: 0, addParents: false });
  const image = await appendLayers(emptyImage(), { layer: lower.layer }, { layer: upper.layer });

  const seen: string[] = [];
  const texts: string[] = [];
  const ends: Array<{ index: number; whiteouts: Whiteout[]; sized: boolean }> = [];
  await walkLayers(image, 'oci:x', {
    layerStart: ({ index }) => void seen.push(`start ${index}`),
    async member(member, layer) {
      seen.push(`${layer.index} ${member.path} ${member.type} ${member.size} ${member.mode.toString(8)}${member.linkname ? ` -> ${member.linkname}` : ''}`);
      // Reading one member and leaving the others unread both work: the walk skips what is left.
      if (member.path === 'etc/os-release') texts.push((await readLimited(member.content, member.path)).toString());
    },
    layerEnd: async ({ index, whiteouts, uncompressedSize, digest }) => {
      assert.equal(digest, await [lower, upper][index]!.layer.digest());
      ends.push({ index, whiteouts, sized: uncompressedSize > 0 && uncompressedSize % 512 === 0 });
    },
  });
  assert.deepEqual(seen, [
    'start 0',
    '0 etc directory 0 755',
    '0 etc/alias symlink 0 777 -> os-release',
    '0 etc/hard hardlink 0 644 -> etc/os-release',
    '0 etc/os-release file 10 644',
    '0 usr/bin/tool file 10 4755',
    'start 1',
    '1 usr/new file 1 644',
  ]);
  assert.deepEqual(texts, ['ID=debian\n']);
  assert.deepEqual(ends, [
    { index: 0, whiteouts: [], sized: true },
    { index: 1, whiteouts: [{ path: 'etc/alias', opaque: false }, { path: 'usr', opaque: true }], sized: true },
  ]);
});

test('walkLayers names the image and layer: a visitor\'s KilnError is bad input, a corrupt blob is an integrity error', async () => {
  const store = await tempStore();
  const built = await buildLayer([file('big', 'x'.repeat(100))], { store, epoch: 0 });
  const image = await appendLayers(emptyImage(), { layer: built.layer });
  const digest = await built.layer.digest();
  await assert.rejects(
    walkLayers(image, 'oci:x', { member: () => { throw new InputError('too big'); }, layerEnd: () => undefined }),
    (error: unknown) => error instanceof InputError && error.message === `oci:x: layer ${digest}: too big`,
  );

  // A gzip blob cut short: the tar never ends.
  const whole = await (async () => Buffer.concat(await (await built.layer.compressed()).toArray()))();
  const short = whole.subarray(0, whole.length >> 1);
  const broken = blobLayer({
    mediaType: built.layer.mediaType, digest: `sha256:${createHash('sha256').update(short).digest('hex')}`, size: short.length,
    diffId: await built.layer.diffId(), open: async () => Readable.from([short]),
  });
  const corrupt = await appendLayers(emptyImage(), { layer: broken });
  const brokenDigest = await broken.digest();
  await assert.rejects(
    walkLayers(corrupt, 'oci:y', { member: () => undefined, layerEnd: () => undefined }),
    (error: unknown) => error instanceof IntegrityError && error.message.startsWith(`oci:y: layer ${brokenDigest}: corrupt blob: `),
  );
});

test('readLimited refuses a file over FILE_LIMIT, naming it', async () => {
  const mebibyte = Buffer.alloc(1 << 20);
  async function* chunks() {
    for (let i = 0; i <= FILE_LIMIT >> 20; i++) yield mebibyte;
  }
  await assert.rejects(readLimited(chunks(), 'var/lib/dpkg/status'), new InputError(`var/lib/dpkg/status is over ${FILE_LIMIT} bytes; kiln reads package metadata files of at most that size`));
});

test('memberPath and applyWhiteout', () => {
  assert.deepEqual(['./usr/lib/', '/etc/x', 'a//b/../c', './'].map(memberPath), ['usr/lib', 'etc/x', 'a/c', '']);
  const paths = () => new Map(['usr', 'usr/lib', 'usr/lib/x', 'usrx', 'etc'].map((path) => [path, true]));
  const after = (whiteout: Whiteout) => {
    const map = paths();
    applyWhiteout(map, whiteout);
    return [...map.keys()];
  };
  assert.deepEqual(after({ path: 'usr', opaque: false }), ['usrx', 'etc']);
  assert.deepEqual(after({ path: 'usr', opaque: true }), ['usr', 'usrx', 'etc']);
  assert.deepEqual(after({ path: '', opaque: true }), []);
});
