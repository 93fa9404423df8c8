// Temp files a killed kiln left beside its outputs: recognised by the pid in their name, removed only
// when that process is gone, so a live writer's temp file is never touched.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

// tempSibling names temps `<target>.tmp-<pid>-<12 hex>`.
const TEMP_SUFFIX = /\.tmp-(\d+)-[0-9a-f]{12}$/;

/** processStart is when this process started, in ms since the epoch. */
const processStart = Date.now() - process.uptime() * 1000;

/** isProcessAlive tells whether a pid names a running process on this machine (EPERM: alive, not ours). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** tempOwner is the pid in a temp name made by tempSibling, or undefined for any other name. */
export function tempOwner(name: string): number | undefined {
  const match = TEMP_SUFFIX.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** SweepOptions say which entries of a folder are temps and when a dead writer's temp may go. */
export interface SweepOptions {
  /** prefix: only temps of targets whose name starts with it. */
  prefix?: string;
  /** owner reads the writer's pid from a name; default tempOwner (`<target>.tmp-<pid>-<hex>`). */
  owner?: (name: string) => number | undefined;
  /**
   * quietMs leaves an entry changed within this many milliseconds: in a folder other hosts may share (the cache),
   * a pid says nothing about their processes, and a live writer keeps its temp changing.
   */
  quietMs?: number;
}

/**
 * sweepStaleTemps removes temp files and directories in `dir` that are older than this process and whose writer is
 * no longer running. Failures are ignored: sweeping is housekeeping, never a reason for a write to fail.
 */
export async function sweepStaleTemps(dir: string, options: SweepOptions = {}): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const { prefix, owner = tempOwner, quietMs = 0 } = options;
  const removed: string[] = [];
  for (const name of names) {
    const pid = owner(name);
    if (pid === undefined || (prefix !== undefined && !name.startsWith(`${prefix}.tmp-`))) continue;
    if (isProcessAlive(pid)) continue;
    const path = join(dir, name);
    try {
      // A file younger than this process may belong to a writer that started after us under a recycled pid.
      const { mtimeMs } = await stat(path);
      if (mtimeMs >= processStart || mtimeMs > Date.now() - quietMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}
