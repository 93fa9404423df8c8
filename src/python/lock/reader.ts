// The shape every lock format folder exports, so the registry in index.ts can treat them alike.
import type { LockFormat, PythonLock } from '../types.js';

/** ReadOptions tune a lock reader. */
export interface ReadOptions {
  /** checkFresh compares the lock with pyproject.toml where the format records how (Poetry's content-hash); default true. */
  checkFresh?: boolean;
  /** log receives notes about how the lock was read (an old format taken as its closest known version). */
  log?: (line: string) => void;
}

/** LockReader reads one lock format into a PythonLock. */
export interface LockReader {
  format: LockFormat;
  /** fileNames are the names that identify this format in a project folder, most specific first. */
  fileNames: string[];
  /** matches tells whether a file name (not a path) is of this format, for names beyond fileNames. */
  matches(fileName: string): boolean;
  read(path: string, options?: ReadOptions): Promise<PythonLock>;
}
