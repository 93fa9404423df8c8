// A copy of the shared layout with one byte of its layer blob flipped.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { copyPythonBase, layerBlob } from '../../shared.js';

export default async function setup({ dir, shared }: CaseContext): Promise<void> {
  await copyPythonBase(shared, join(dir, 'base'));
  const blob = await layerBlob(join(dir, 'base'));
  const bytes = await readFile(blob);
  const middle = bytes.length >> 1;
  bytes[middle] = bytes[middle]! ^ 0xff;
  await writeFile(blob, bytes);
}
