import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/images.js';
import { nodeModulesEntries, runtimePackages } from './node-modules.js';

const AMD64 = { os: 'linux', architecture: 'amd64' };

async function checkout(packages: Record<string, object>, installed: string[]): Promise<string> {
  const root = await tempDir();
  await writeFile(join(root, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'kiln' }, ...packages } }));
  for (const path of installed) {
    await mkdir(join(root, path, 'lib'), { recursive: true });
    await writeFile(join(root, path, 'package.json'), '{}');
    await writeFile(join(root, path, 'lib/index.js'), `// ${path}\n`);
  }
  return root;
}

test('runtimePackages keeps what npm ci --omit=dev installs for the image platform', async () => {
  const packages = {
    'node_modules/yaml': {},
    'node_modules/typescript': { dev: true },
    'node_modules/ajv': { devOptional: true },
    'node_modules/a': {},
    'node_modules/a/node_modules/b': {},
    'node_modules/native-linux-x64-gnu': { optional: true, os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
    'node_modules/native-linux-x64-musl': { optional: true, os: ['linux'], cpu: ['x64'], libc: ['musl'] },
    'node_modules/native-linux-arm64-gnu': { optional: true, os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
    'node_modules/native-darwin-x64': { optional: true, os: ['darwin'], cpu: ['x64'] },
    'node_modules/wasm-helper': { optional: true },
  };
  const root = await checkout(packages, ['node_modules/yaml', 'node_modules/typescript', 'node_modules/ajv', 'node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/native-linux-x64-gnu']);
  assert.deepEqual(await runtimePackages(root, AMD64), ['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/ajv', 'node_modules/native-linux-x64-gnu', 'node_modules/yaml']);
  // Building for arm64 on this checkout would ship the wrong native binary: refused, naming the package.
  await assert.rejects(runtimePackages(root, { os: 'linux', architecture: 'arm64' }), /node_modules\/native-linux-arm64-gnu is needed on linux\/arm64 but not installed here/);
});

test('runtimePackages refuses a production package the checkout lacks, and an old lock', async () => {
  await assert.rejects(runtimePackages(await checkout({ 'node_modules/yaml': {} }, []), AMD64), /node_modules\/yaml is not installed; run npm ci/);
  const root = await tempDir();
  await writeFile(join(root, 'package-lock.json'), JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
  await assert.rejects(runtimePackages(root, AMD64), /lockfileVersion 2 or 3 needed/);
});

test('nodeModulesEntries copies each package without its nested node_modules, which come as packages of their own', async () => {
  const root = await checkout({}, ['node_modules/a', 'node_modules/a/node_modules/b']);
  const onlyA = (await nodeModulesEntries(root, ['node_modules/a'], 'opt/kiln')).map((entry) => entry.path);
  assert.deepEqual(onlyA, ['opt/kiln/node_modules/a', 'opt/kiln/node_modules/a/lib', 'opt/kiln/node_modules/a/lib/index.js', 'opt/kiln/node_modules/a/package.json']);
  const both = (await nodeModulesEntries(root, ['node_modules/a', 'node_modules/a/node_modules/b'], 'opt/kiln')).map((entry) => entry.path);
  assert.ok(both.includes('opt/kiln/node_modules/a/node_modules/b/lib/index.js'));
});
