// uv: uv.lock at the workspace root.
import { readTomlFile } from '../../toml-file.js';
import type { LockReader } from '../reader.js';
import { extractUvLock } from './extract.js';
import { uvLockSchema } from './schema.js';

/** uv reads uv.lock (version 1). */
export const uv: LockReader = {
  format: 'uv',
  fileNames: ['uv.lock'],
  matches: (fileName) => fileName === 'uv.lock',
  read: async (path) => extractUvLock(path, await readTomlFile(path, uvLockSchema)),
};
