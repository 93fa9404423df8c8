// WheelDestination: where an install writes. The installer computes paths and RECORD; a destination
// only stores bytes and reports the hash and size of what it stored, so RECORD cannot drift from content.
import type { Readable } from 'node:stream';
import type { WheelMember } from './source.js';

/**
 * InstallContent is a file's bytes: generated in memory, a wheel member read on demand (vouched for by
 * RECORD), or a stream derived from a member (a rewritten script) whose hash is known only once read.
 * `open` may be called more than once and must give the same bytes each time.
 */
export type InstallContent =
  | { kind: 'buffer'; data: Buffer }
  | { kind: 'member'; member: WheelMember }
  | { kind: 'stream'; open: () => Promise<Readable> };

/** WrittenFile is what a destination reports for one file: its RECORD hash (`sha256=...`) and size. */
export interface WrittenFile {
  hash: string;
  size: number;
}

/** WheelDestination stores files at absolute paths of the target file system (e.g. `/opt/venv/bin/tool`). */
export interface WheelDestination {
  /** writeFile stores one file (0644, or 0755 when executable); an existing path is an error. */
  writeFile(path: string, content: InstallContent, executable: boolean): Promise<WrittenFile>;
  /** rollback undoes the writes of a failed install, so nothing is left half-installed. */
  rollback(): Promise<void>;
}

/** FILE_MODE and EXECUTABLE_MODE are installer's modes under the usual 022 umask, fixed so layers do not depend on a umask. */
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;
