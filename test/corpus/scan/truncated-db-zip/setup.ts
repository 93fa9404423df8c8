// The fixture export cut off halfway.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { writeScanInputs } from '../../osv-inputs.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const bytes = await writeScanInputs(dir);
  await writeFile(join(dir, 'osv.zip'), bytes.subarray(0, Math.floor(bytes.length / 2)));
}
