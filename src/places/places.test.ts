import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
