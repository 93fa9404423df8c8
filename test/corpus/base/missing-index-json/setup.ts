// A copy of the shared layout with index.json removed.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { copyPythonBase } from '../../shared.js';

export default async function setup({ dir, shared }: CaseContext): Promise<void> {
  await copyPythonBase(shared, join(dir, 'base'));
  await rm(join(dir, 'base', 'index.json'));
}
