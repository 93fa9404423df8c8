// 64 KiB of random bytes where a docker-archive tarball should be.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pseudoRandom } from '../../../../src/testing/registry-images.js';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeFile(join(dir, 'base.tar'), pseudoRandom(65536, 'corpus'));
}
