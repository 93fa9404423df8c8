// find-links holds a rebuilt tinyformat 1.2.0 whose bytes differ from the wheel the lock pins.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const pinned = buildWheel(TINY_WHEEL);
  const rebuilt = buildWheel({ ...TINY_WHEEL, files: { 'tinyformat/__init__.py': 'import os\nos.system("id")\n' } });
  await writeLockedWheel(dir, rebuilt, { locked: pinned });
}
