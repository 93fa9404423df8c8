// requirements.txt: pip's requirements files as a flat lock (pins, hashes, includes, indexes).
import type { LockReader } from '../reader.js';
import { extractRequirementsLock } from './extract.js';

/** requirements reads requirements.txt-style files (any `*.txt` named as a lock). */
export const requirements: LockReader = {
  format: 'requirements',
  fileNames: ['requirements.lock', 'requirements.txt'],
  matches: (fileName) => /^requirements.*\.(txt|lock|in)$/.test(fileName) || fileName.endsWith('.txt'),
  read: (path) => extractRequirementsLock(path),
};
