// A 5 MB kiln.yaml (one valid image, then a long comment): over the manifest size cap, so it must be
// refused up front instead of being parsed (the YAML library's duplicate-key check is quadratic).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const head = 'images:\n  svc:\n    base: scratch\n    entrypoint: [/bin/true]\n';
  const line = `# ${'x'.repeat(77)}\n`;
  await writeFile(join(dir, 'kiln.yaml'), head + line.repeat(Math.ceil(5_000_000 / line.length)));
}
