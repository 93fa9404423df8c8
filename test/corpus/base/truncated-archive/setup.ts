// The shared docker-archive cut off in the middle of its layer member.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir, shared }: CaseContext): Promise<void> {
  const whole = await readFile(join(shared, 'python-base.tar'));
  await writeFile(join(dir, 'base.tar'), whole.subarray(0, 3000));
}
