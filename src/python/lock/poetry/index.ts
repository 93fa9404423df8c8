// Poetry: poetry.lock beside pyproject.toml (`[tool.poetry]` or PEP 621 `[project]`).
import { readPyProject } from '../../pyproject.js';
import { readTomlFile } from '../../toml-file.js';
import type { LockReader } from '../reader.js';
import { extractPoetryLock, pyprojectPathFor } from './extract.js';
import { poetryLockSchema } from './schema.js';

/** poetry reads poetry.lock (lock-version 1.1, 2.0, 2.1) with its pyproject.toml. */
export const poetry: LockReader = {
  format: 'poetry',
  fileNames: ['poetry.lock'],
  matches: (fileName) => fileName === 'poetry.lock',
  async read(path, options = {}) {
    const lock = await readTomlFile(path, poetryLockSchema);
    const pyproject = await readPyProject(pyprojectPathFor(path));
    return extractPoetryLock(path, lock, pyproject, options.checkFresh ?? true);
  },
};
