// The lock pins a pure-Python sdist; the file at its URL is another one (a line added to the package).
import { join } from 'node:path';
import { buildSdist, writeSdist, writeUvProject, type SdistSpec } from '../../../../src/testing/sdists.js';
import type { CaseContext } from '../../case.js';

const PURE: SdistSpec = {
  name: 'tiny-pure',
  version: '1.0',
  files: {
    'pyproject.toml': '[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n\n[project]\nname = "tiny_pure"\nversion = "1.0"\ndescription = "pure"\n',
    'tiny_pure.py': 'VALUE = 42\n',
  },
};

export default async function setup({ dir }: CaseContext): Promise<void> {
  const locked = await writeSdist(join(dir, 'sdists'), PURE);
  await writeSdist(join(dir, 'sdists'), PURE, await buildSdist({ ...PURE, files: { ...PURE.files, 'tiny_pure.py': 'import os\nos.system("id")\n' } }));
  await writeUvProject(join(dir, 'project'), [{ spec: PURE, ...locked }]);
}
