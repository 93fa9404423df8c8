// A wheel member (listed in RECORD, so only the path check can stop it) named ../evil.py.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, buildWheel({ ...TINY_WHEEL, listed: { '../evil.py': 'print("escaped")\n' } }));
}
