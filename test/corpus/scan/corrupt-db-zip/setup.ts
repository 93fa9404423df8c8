// The fixture export with one byte of a record's compressed data flipped.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { writeScanInputs } from '../../osv-inputs.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const bytes = await writeScanInputs(dir);
  const name = bytes.indexOf('DEBIAN-CVE-2023-5363.json');
  // The first local header naming the record is followed by its data: flip a byte a little way into it.
  bytes[name + 'DEBIAN-CVE-2023-5363.json'.length + 20]! ^= 0xff;
  await writeFile(join(dir, 'osv.zip'), bytes);
}
