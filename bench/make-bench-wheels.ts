// Test data for bench/wheel-install.ts: repackages installed Debian Python packages (and stdlib
// directories) into py3-none-any wheels until at least 100 MB of content, under $KILN_BENCH_DIR/wheels.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildWheel } from '../src/testing/wheels.js';

// Python trees first; shared libraries and data make up the rest (only bytes and file counts matter here).
const SOURCES = ['/usr/lib/python3/dist-packages', '/usr/lib/python3.11', '/usr/lib/x86_64-linux-gnu', '/usr/share'];
const TARGET_BYTES = 100 * 1024 * 1024;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === '__pycache__') continue;
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isDirectory()) walk(path, out);
    else if (info?.isFile()) out.push(path);
  }
  return out;
}

/** makeBenchWheels writes the wheels and returns their paths and total content size. */
export async function makeBenchWheels(outDir: string): Promise<{ wheels: string[]; bytes: number }> {
  await mkdir(outDir, { recursive: true });
  const wheels: string[] = [];
  let bytes = 0;
  for (const root of SOURCES) {
    for (const name of readdirSync(root).sort()) {
      if (bytes >= TARGET_BYTES) break;
      const dir = join(root, name);
      if (!statSync(dir).isDirectory() || name === '__pycache__') continue;
      const module = `kb${wheels.length}_${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}`;
      const files: Record<string, Buffer> = {};
      for (const file of walk(dir)) {
        const data = readFileSync(file);
        files[`${module}/${relative(dir, file)}`] = data;
        bytes += data.length;
      }
      if (!Object.keys(files).length) continue;
      const path = join(outDir, `${module}-1.0-py3-none-any.whl`);
      await writeFile(path, buildWheel({ name: module, version: '1.0', files, consoleScripts: { [`${module}-cli`]: `${module}:main` } }));
      wheels.push(path);
    }
  }
  return { wheels, bytes };
}
