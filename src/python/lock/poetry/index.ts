// Poetry: poetry.lock beside pyproject.toml (`[tool.poetry]` or PEP 621 `[project]`).
import { readPyProject } from '../../pyproject.js';
import { readTomlFile } from '../../toml-file.js';
import type { LockReader } from '../reader.js';
import { extractPoetryLock, pyprojectPathFor } from './extract.js';
import { poetryLockSchema } from './schema.js';

/** poetry reads poetry.lock (lock-version 1.1, 2.0, 2.1, and Poetry 1.0's, read as 1.0) with its pyproject.toml. */
export const poetry: LockReader = {
  format: 'poetry',
  fileNames: ['poetry.lock'],
  matches: (fileName) => fileName === 'poetry.lock',
  async read(path, options = {}) {
    const lock = await readTomlFile(path, poetryLockSchema);
    if (lock.legacy) options.log?.(`${path}: no metadata.lock-version (written by Poetry 1.0 or older); read as lock-version 1.0`);
    const pyproject = await readPyProject(pyprojectPathFor(path));
    return extractPoetryLock(path, lock, pyproject, options.checkFresh ?? true);
  },
};
