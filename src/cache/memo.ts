// Where the cache lives and how a memo (a small JSON record under memo/KIND/KEY) is read: apart from
// blob-store.ts so that the no-change replay of bin/kiln.js reads its record without loading node:crypto and
// node:stream, which blob writing needs and which cost more to load than the replay takes.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** defaultCacheDir follows $KILN_CACHE_DIR, then the XDG base directory spec. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KILN_CACHE_DIR) return env.KILN_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'kiln');
}

/** readMemo reads the memo KIND/KEY of the cache at `root`, or undefined when it is absent or unreadable. */
export async function readMemo<T>(root: string, kind: string, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(root, 'memo', kind, key), 'utf8')) as T;
  } catch {
    return undefined;
  }
}
