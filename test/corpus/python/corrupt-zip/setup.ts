// Random bytes under a wheel's name, pinned by their own hash: the zip reader must refuse them.
import { pseudoRandom } from '../../../../src/testing/registry-images.js';
import type { CaseContext } from '../../case.js';
import { writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeLockedWheel(dir, pseudoRandom(4096, 'not a zip'));
}
