// PEP 751: pylock.toml and named variants (pylock.<name>.toml).
import { readTomlFile } from '../../toml-file.js';
import type { LockReader } from '../reader.js';
import { extractPylock } from './extract.js';
import { pylockSchema } from './schema.js';

/** pylock reads PEP 751 lock files. */
export const pylock: LockReader = {
  format: 'pylock',
  fileNames: ['pylock.toml'],
  matches: (fileName) => /^pylock\.([^.]+\.)?toml$/.test(fileName),
  read: async (path) => extractPylock(path, await readTomlFile(path, pylockSchema)),
};
