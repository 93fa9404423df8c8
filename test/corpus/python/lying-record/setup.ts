// The wheel matches its lock, but its RECORD lies about one member's hash.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, buildWheel({ ...TINY_WHEEL, tamper: ['tinyformat/__init__.py'] }));
}
