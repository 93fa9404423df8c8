import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './testing/cli.js';

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) found.push(path);
  }
  return found;
}

test('every runtime dependency in package.json is imported by shipped code, and exports point at the built entry', async () => {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; exports: Record<string, { default: string; types: string }>; main: string };
  const shipped = (await sources(join(repoRoot, 'src'))).filter((path) => !path.includes('/src/testing/'));
  const text = (await Promise.all(shipped.map((path) => readFile(path, 'utf8')))).join('\n');
  const unused = Object.keys(pkg.dependencies).filter((name) => !new RegExp(`(from |import\\(|\\.resolve\\()'${name.replace(/[/.]/g, '\\$&')}(/[^']*)?'`).test(text));
  assert.deepEqual(unused, []);
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  await readFile(join(repoRoot, 'src/index.ts'));
});
