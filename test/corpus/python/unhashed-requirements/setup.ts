// A requirements.txt that pins a version but no hash; kiln.yaml does not set allow_unhashed.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, buildWheel(TINY_WHEEL));
  await writeFile(join(dir, 'requirements.txt'), 'tinyformat==1.2.0\n');
}
