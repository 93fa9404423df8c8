import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeImage } from '../../places/index.js';
import { runKiln } from '../../testing/cli.js';
import { imageWithLayers, tempDir, tempStore } from '../../testing/images.js';

test('kiln validate --json lists a report per image; kiln lock --json what kiln.lock pins', async () => {
  const dir = await tempDir();
  const store = await tempStore();
  const image = await imageWithLayers(store, { 'app/a.txt': 'a\n' }, { 'app/b.txt': 'bb\n' });
  await writeImage(`oci:${dir}/layout:v1`, image, { store });
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const validated = await runKiln(['validate', '--json', `oci:${dir}/layout:v1`], { env });
  assert.equal(validated.code, 0, validated.stderr);
  const reports = JSON.parse(validated.stdout) as Array<{ place: string; digest: string; layers: number; bytesChecked: number }>;
  assert.deepEqual(reports.map(({ place, digest, layers }) => ({ place, digest, layers })), [{ place: `oci:${dir}/layout:v1`, digest: await image.digest(), layers: 2 }]);
  assert.ok(reports[0]!.bytesChecked > 0);

  // A manifest with no distro or registry base pins nothing; the document says where it wrote.
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  hello:\n    base: oci:layout\n');
  const locked = await runKiln(['lock', '--json', dir], { env });
  assert.equal(locked.code, 0, locked.stderr);
  assert.deepEqual(JSON.parse(locked.stdout), { lockFile: join(dir, 'kiln.lock'), changed: 0, bases: {}, registry: {} });
});
