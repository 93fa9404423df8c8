// gitRevision: the commit checked out where kiln.yaml lives (the revision annotation), read from .git directly as
// git itself would resolve HEAD, so planning spawns no process; anything unusual is left to `git rev-parse`.
import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

// The git directory of the work tree holding `dir`: a .git folder, or a .git file naming one (worktrees, submodules).
function gitDir(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const dotGit = join(current, '.git');
    const info = (() => {
      try {
        return statSync(dotGit);
      } catch {
        return undefined;
      }
    })();
    if (info?.isDirectory()) return dotGit;
    if (info?.isFile()) {
      const target = /^gitdir: (.+)$/m.exec(read(dotGit) ?? '')?.[1]?.trim();
      return target ? (isAbsolute(target) ? target : resolve(current, target)) : undefined;
    }
    if (dirname(current) === current) return undefined;
  }
}

function resolveRef(git: string, ref: string): string | undefined {
  const common = read(join(git, 'commondir'))?.trim();
  const commonDir = common ? resolve(git, common) : git;
  for (const dir of new Set([git, commonDir])) {
    const loose = read(join(dir, ref))?.trim();
    if (loose !== undefined) return HASH.test(loose) ? loose : undefined;
  }
  for (const line of (read(join(commonDir, 'packed-refs')) ?? '').split('\n')) {
    const [hash, name] = line.split(' ');
    if (name === ref && hash && HASH.test(hash)) return hash;
  }
  return undefined;
}

function fromFiles(dir: string): string | undefined | null {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return null;
  const git = gitDir(dir);
  // No .git from here to the root: not a work tree, as git itself would find (spawning it costs a build ~20 ms).
  if (!git) return undefined;
  const head = read(join(git, 'HEAD'))?.trim();
  if (!head) return null;
  if (HASH.test(head)) return head;
  const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
  // An unborn branch has no commit; a ref kiln cannot find (a reftable repository) is git's to answer.
  return ref ? resolveRef(git, ref) ?? null : null;
}

/** gitRevision returns the commit HEAD names for the work tree holding `dir`, or undefined outside git or before a first commit. */
export function gitRevision(dir: string): string | undefined {
  const found = fromFiles(dir);
  if (found !== null) return found;
  try {
    // Loaded only here: node:child_process costs the no-change replay more than all it reads.
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
