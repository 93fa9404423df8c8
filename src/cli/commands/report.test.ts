import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKiln } from '../../testing/cli.js';
import { tempDir } from '../../testing/images.js';

test('kiln report: entries never built are listed as not built; the default output is kiln-report.html here; bad input is one line', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  api:\n    base: {distro: debian, release: bookworm, packages: [python3]}\n  worker:\n    base: {distro: debian, release: bookworm, packages: [python3]}\n');
  const env = { KILN_CACHE_DIR: join(dir, 'cache') };
  const report = await runKiln(['report'], { cwd: dir, env });
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stdout, `wrote ${join(dir, 'kiln-report.html')}: 2 entries, 0 built (not built: api, worker)\n`);
  const html = await readFile(join(dir, 'kiln-report.html'), 'utf8');
  assert.equal((html.match(/<p class="not-built">not built<\/p>/g) ?? []).length, 2);
  assert.ok(!(await readdir(dir)).some((name) => name.includes('.tmp')), 'written atomically: no temp file left');

  const extra = await runKiln(['report', dir, dir], { env });
  assert.deepEqual([extra.code, extra.stderr], [2, "kiln: error: too many arguments for 'report'. Expected 1 argument but got 2.\n"]);
  const missing = await runKiln(['report', join(dir, 'nope')], { env });
  assert.deepEqual([missing.code, missing.stderr], [2, `kiln: ${join(dir, 'nope')}: no such file or directory\n`]);
});
