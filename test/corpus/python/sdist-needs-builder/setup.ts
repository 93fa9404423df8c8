// The only file of tiny-ext is an sdist with a C extension, and kiln.yaml does not allow the builder.
import { join } from 'node:path';
import { COMPILED_SDIST, writeSdist, writeUvProject } from '../../../../src/testing/sdists.js';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const sdist = await writeSdist(join(dir, 'sdists'), COMPILED_SDIST);
  await writeUvProject(join(dir, 'project'), [{ spec: COMPILED_SDIST, ...sdist }]);
}
