// A well-formed tar holding one text file and no manifest.json.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rawTar } from '../../../../src/testing/deb-file.js';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeFile(join(dir, 'base.tar'), await rawTar([{ name: 'hello.txt', data: 'not an image\n' }]));
}
