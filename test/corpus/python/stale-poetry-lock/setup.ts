// The fixture poetry project with a dependency added to pyproject.toml but not to poetry.lock.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyPythonProject } from '../../../../src/testing/python-project.js';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await copyPythonProject(dir);
  const pyproject = join(dir, 'demo-server', 'pyproject.toml');
  await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('colorlite = "^2.1"', 'colorlite = "^2.1"\nrequests = "^2.31"'));
}
