// A good wheel and lock: only the base (scratch, no Python) is wrong.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, buildWheel(TINY_WHEEL));
}
