import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputError, UsageError } from '../errors.js';
import { withConfig } from '../oci/mutate.js';
import { Annotation } from '../oci/spec.js';
import { imageWithLayers, tempDir, tempStore } from '../testing/images.js';
import { readImage, writeImage } from './index.js';
import { parsePlace } from './place.js';
import { validateImage } from '../oci/validate.js';

test('parsePlace reads the three transports like skopeo', () => {
  assert.deepEqual(parsePlace('oci:out/img:v1'), { transport: 'oci', path: 'out/img', tag: 'v1' });
  assert.deepEqual(parsePlace('oci:out/img'), { transport: 'oci', path: 'out/img' });
  assert.deepEqual(parsePlace('docker-archive:a.tar:repo/x:1'), { transport: 'docker-archive', path: 'a.tar', reference: 'repo/x:1' });
  assert.deepEqual(parsePlace('docker://localhost:5000/x:1'), { transport: 'docker', reference: 'localhost:5000/x:1' });
  assert.throws(() => parsePlace('out/img'), /not an image place/);
  assert.throws(() => parsePlace('oci:'), /needs a path/);
});

test('an image written to an OCI layout reads back with the same digest and validates', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' }, { 'app/main.py': 'print(1)\n' });
  const dir = join(await tempDir(), 'layout');
  await writeImage(`oci:${dir}:v1`, image, { store });
  const back = await readImage(`oci:${dir}:v1`, { store });
  assert.equal(await back.digest(), await image.digest());
  await validateImage(back);
  assert.equal(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')).imageLayoutVersion, '1.0.0');
  // A second tag in the same layout keeps the first.
  const other = await imageWithLayers(store, { 'etc/other': 'x' });
  await writeImage(`oci:${dir}:v2`, other, { store });
  assert.equal(await (await readImage(`oci:${dir}:v1`, { store })).digest(), await image.digest());
  assert.equal(await (await readImage(`oci:${dir}:v2`, { store })).digest(), await other.digest());
  await assert.rejects(readImage(`oci:${dir}`, { store }), /holds 2 images; name one with :TAG/);
  await assert.rejects(readImage(`oci:${dir}:nope`, { store }), /no image tagged "nope"/);
});

test('a layout whose layer blob was tampered with fails validation and copying', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' });
  const dir = join(await tempDir(), 'layout');
  await writeImage(`oci:${dir}`, image, { store });
  const layerDigest = (await image.manifest()).layers[0]!.digest;
  const blob = join(dir, 'blobs', 'sha256', layerDigest.slice(7));
  const bytes = await readFile(blob);
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
  await writeFile(blob, bytes);
  const back = await readImage(`oci:${dir}`, { store });
  await assert.rejects(validateImage(back), /layer 0 .*(corrupt blob|hashes to)/);
  const target = join(await tempDir(), 'copy');
  await assert.rejects(writeImage(`oci:${target}`, back, { store }), /digest mismatch/);
  await assert.rejects(stat(target), /ENOENT/, 'nothing is left at the destination');
});

test('a docker-archive round-trips and holds manifest.json with the RepoTag', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' }, { 'app/main.py': 'print(1)\n' });
  const dir = await tempDir();
  const file = join(dir, 'img.tar');
  await writeImage(`docker-archive:${file}:example/hello`, image, { store });
  const back = await readImage(`docker-archive:${file}`, { store });
  assert.equal(await back.digest(), await image.digest(), 'same config and layers give the same manifest');
  await validateImage(back);
  assert.deepEqual((await readdir(dir)).sort(), ['img.tar'], 'no temp files left behind');
  await assert.rejects(readImage(`docker-archive:${file}:other/name`, { store }), /no image tagged other\/name:latest/);
});

test('parsePlace refuses names other tools cannot read: OCI ref.name grammar for tags, docker grammar for archive refs', () => {
  assert.throws(() => parsePlace('oci:out/l:Bad Tag!'), (error: Error) => error instanceof UsageError && /"Bad Tag!" is not a valid OCI layout tag/.test(error.message));
  assert.throws(() => parsePlace('oci:out/l:-lead'), UsageError);
  assert.throws(() => parsePlace('oci:out/l:a//b'), UsageError);
  assert.throws(() => parsePlace('docker-archive:a.tar:UPPER/case'), (error: Error) => error instanceof UsageError && /must be lower case/.test(error.message));
  assert.throws(() => parsePlace('docker-archive:a.tar:x/y:bad tag'), UsageError);
  assert.throws(() => parsePlace(`docker-archive:a.tar:x/y@sha256:${'a'.repeat(64)}`), /not by digest/);
  // What the grammars allow still parses.
  assert.deepEqual(parsePlace('oci:out/l:v1.2_3-rc+build'), { transport: 'oci', path: 'out/l', tag: 'v1.2_3-rc+build' });
  assert.deepEqual(parsePlace('oci:out/l:Server/3.11:cpu'), { transport: 'oci', path: 'out/l', tag: 'Server/3.11:cpu' });
  assert.deepEqual(parsePlace('docker-archive:a.tar:localhost:5000/team/app:V1'), { transport: 'docker-archive', path: 'a.tar', reference: 'localhost:5000/team/app:V1' });
});

test('a docker-archive name that only arrives at write time (an entry name) is checked before anything is written', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' });
  const dir = await tempDir();
  await assert.rejects(writeImage(`docker-archive:${join(dir, 'img.tar')}`, image, { store, defaultName: 'Server' }), UsageError);
  assert.deepEqual(await readdir(dir), []);
});

test('an output under /proc fails at once with one line instead of spinning in mkdir', { timeout: 20_000 }, async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' });
  for (const place of ['oci:/proc/kiln-x', 'oci:/proc/kiln-x/deeper/layout', 'docker-archive:/proc/kiln-x/img.tar']) {
    await assert.rejects(writeImage(place, image, { store }), (error: Error) => error instanceof OutputError && !error.message.includes('\n'), place);
  }
});

/** deadPid is the pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

async function leaveTemp(path: string, directory = false): Promise<string> {
  if (directory) await mkdir(path, { recursive: true });
  else await writeFile(path, 'half-written');
  // As if left by a run before this process started.
  const past = new Date(Date.now() - 3_600_000);
  await utimes(path, past, past);
  return path;
}

test('stale temp files of killed writers are cleaned on the next write; a live writer\'s temp files stay', async (t) => {
  const store = await tempStore();
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  t.after(() => sleeper.kill());
  const dead = await deadPid();
  const live = sleeper.pid!;
  const suffix = (pid: number) => `.tmp-${pid}-${randomBytes(6).toString('hex')}`;

  const dir = await tempDir();
  const layout = join(dir, 'layout');
  await writeImage(`oci:${layout}:one`, await imageWithLayers(store, { 'etc/one': '1\n' }), { store });
  const blobs = join(layout, 'blobs', 'sha256');
  const deadOnes = [
    await leaveTemp(join(blobs, `${'1'.repeat(64)}${suffix(dead)}`)),
    await leaveTemp(join(layout, `index.json${suffix(dead)}`)),
    await leaveTemp(join(dir, `layout${suffix(dead)}`), true),
    await leaveTemp(join(dir, `img.tar${suffix(dead)}`)),
  ];
  const liveOnes = [
    await leaveTemp(join(blobs, `${'2'.repeat(64)}${suffix(live)}`)),
    await leaveTemp(join(layout, `index.json${suffix(live)}`)),
    await leaveTemp(join(dir, `layout${suffix(live)}`), true),
    await leaveTemp(join(dir, `img.tar${suffix(live)}`)),
  ];
  const other = await leaveTemp(join(dir, `unrelated${suffix(dead)}`));
  await writeImage(`oci:${layout}:two`, await imageWithLayers(store, { 'etc/two': '2\n' }), { store });
  await writeImage(`docker-archive:${join(dir, 'img.tar')}:x/y`, await imageWithLayers(store, { 'etc/three': '3\n' }), { store });
  for (const path of deadOnes) await assert.rejects(stat(path), /ENOENT/, `${path} was removed`);
  for (const path of [...liveOnes, other]) await stat(path);

  // A brand-new layout cleans its own dead predecessors too.
  const fresh = await leaveTemp(join(dir, `new-layout${suffix(dead)}`), true);
  await writeImage(`oci:${join(dir, 'new-layout')}`, await imageWithLayers(store, { 'etc/four': '4\n' }), { store });
  await assert.rejects(stat(fresh), /ENOENT/);
});

test('a docker-archive written by kiln reads back with its own manifest: same digest, annotations kept', async () => {
  const store = await tempStore();
  const plain = await imageWithLayers(store, { 'etc/hello': 'hi\n' }, { 'app/main.py': 'print(1)\n' });
  const image = await withConfig(plain, (config) => {
    config.created = '2024-01-02T03:04:05Z';
  }, { [Annotation.version]: '1.2.3', [Annotation.title]: 'hello' });
  const file = join(await tempDir(), 'img.tar');
  await writeImage(`docker-archive:${file}:example/hello:1`, image, { store });
  const back = await readImage(`docker-archive:${file}`, { store });
  assert.equal(await back.digest(), await image.digest());
  assert.deepEqual((await back.manifest()).annotations, { [Annotation.version]: '1.2.3', [Annotation.title]: 'hello' });
  await validateImage(back);
});

test('a `docker save` archive (uncompressed layer.tar files) of kiln\'s layers reads back with kiln\'s gzip blobs, not new ones', async () => {
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'etc/hello': 'hi\n' }, { 'app/main.py': 'print(1)\n' });
  const { buffer } = await import('node:stream/consumers');
  const { writeTar } = await import('../tar/write.js');
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const entries: import('../tar/entry.js').TarEntry[] = [];
  const names: string[] = [];
  for (const [i, layer] of (await image.layers()).entries()) {
    names.push(`${i}/layer.tar`);
    entries.push({ path: `${i}/layer.tar`, type: 'file', mode: 0o644, content: { kind: 'buffer', data: await buffer(await layer.uncompressed()) } });
  }
  entries.push({ path: 'config.json', type: 'file', mode: 0o644, content: { kind: 'buffer', data: await image.rawConfig() } });
  entries.push({ path: 'manifest.json', type: 'file', mode: 0o644, content: { kind: 'buffer', data: Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['example/saved:1'], Layers: names }])) } });
  const file = join(await tempDir(), 'saved.tar');
  await pipeline(writeTar(entries, { epoch: 0 }), createWriteStream(file));
  // A fresh store sees the tars for the first time and gzips them; kiln's own store already holds their blobs.
  const { gzipOfTar } = await import('../layer/build.js');
  for (const diffId of (await image.config()).rootfs.diff_ids) assert.ok(await gzipOfTar(store, diffId as `sha256:${string}`), 'kiln remembers the blob of each tar it gzipped');
  const back = await readImage(`docker-archive:${file}`, { store });
  assert.equal(await back.digest(), await image.digest(), 'the same blobs, so the same manifest');
  const elsewhere = await readImage(`docker-archive:${file}`, { store: await tempStore() });
  assert.equal(await elsewhere.digest(), await image.digest(), 'gzipping the tars again gives the same bytes too');
});
