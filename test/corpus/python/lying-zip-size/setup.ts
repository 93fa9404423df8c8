// The member inflates to more than its zip headers declare (the shape of a zip bomb), pinned by its hash.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, patchZipSize, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, patchZipSize(buildWheel(TINY_WHEEL), 'tinyformat/__init__.py', 1));
}
