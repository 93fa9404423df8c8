// Applying a series in a git working tree, one commit per patch: `git apply` without fuzz first, `git apply
// --3way` (a merge against the blobs the patch's index lines name) when that fails; a conflict names the file and
// the hunk, and the tree is put back as it was before that patch.
import { InputError } from '../errors.js';
import { gitReason, runGit } from './git.js';
import type { Hunk, Patch } from './series.js';

/** PatchOutcome is how one patch went: applied as written, applied by a 3-way merge, or not at all. */
export type PatchOutcome =
  | { patch: string; status: 'clean' | '3-way' }
  | { patch: string; status: 'conflict'; file?: string; hunk?: Hunk; reason: string };

/** describeConflict is the part of a one-line error after the patch name: the file, the hunk, why. */
export function describeConflict(outcome: Extract<PatchOutcome, { status: 'conflict' }>): string {
  const hunk = outcome.hunk ? `, hunk #${outcome.hunk.number} (${outcome.hunk.header})` : '';
  return `${outcome.file ?? 'the tree'}${hunk}: ${outcome.reason}`;
}

// git names the first failing hunk by its file and the line it was expected at: the hunk's old start.
function failedAt(patch: Patch, stderr: string): { file?: string; hunk?: Hunk; reason: string } {
  const failed = /error: patch failed: (.+):(\d+)$/m.exec(stderr);
  if (failed) {
    const file = failed[1]!;
    const line = Number(failed[2]);
    const hunk = patch.files.find((candidate) => candidate.path === file)?.hunks.find((candidate) => candidate.oldStart === line);
    return { file, ...(hunk ? { hunk } : {}), reason: 'does not apply' };
  }
  const missing = /error: (.+?): (No such file or directory|does not exist in index|already exists in (?:working directory|index))$/m.exec(stderr);
  if (missing) return { file: missing[1]!, reason: missing[2]!.toLowerCase() };
  return { reason: gitReason(stderr) };
}

/** applyPatch applies `patch` in the git tree `dir` and commits it; a conflict leaves HEAD as it was. */
export async function applyPatch(dir: string, patch: Patch): Promise<PatchOutcome> {
  const strip = `-p${patch.strip}`;
  const check = await runGit(['apply', '--check', strip, patch.path], { cwd: dir });
  let status: 'clean' | '3-way' = 'clean';
  if (check.code === 0) {
    const applied = await runGit(['apply', '--index', strip, patch.path], { cwd: dir });
    if (applied.code !== 0) throw new InputError(`patch ${patch.name}: ${gitReason(applied.stderr)}`);
  } else {
    const merged = await runGit(['apply', '--3way', strip, patch.path], { cwd: dir });
    if (merged.code !== 0) {
      await runGit(['reset', '--quiet', '--hard', 'HEAD'], { cwd: dir });
      const where = failedAt(patch, check.stderr);
      const conflicted = [...merged.stderr.matchAll(/^U (.+)$/gm)].map((match) => match[1]!);
      const reason = conflicted.length ? 'conflicts even with a 3-way merge' : /lacks the necessary blob/.test(merged.stderr)
        ? `${where.reason}, and the patch names no blobs this repository has for a 3-way merge`
        : `${where.reason}, nor with a 3-way merge`;
      return { patch: patch.name, status: 'conflict', ...where, ...(where.file ? {} : conflicted[0] ? { file: conflicted[0] } : {}), reason };
    }
    status = '3-way';
  }
  const author = patch.author ?? { name: 'kiln', email: 'kiln@localhost' };
  const message = patch.body ? `${patch.subject}\n\n${patch.body}\n` : `${patch.subject}\n`;
  const commit = await runGit(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--allow-empty', '--author', `${author.name} <${author.email}>`, '-F', '-'], { cwd: dir, input: message });
  if (commit.code !== 0) throw new InputError(`patch ${patch.name}: committing it: ${gitReason(commit.stderr)}`);
  return { patch: patch.name, status };
}

/** applySeries applies every patch in order; with `stopAtConflict` the first conflict ends it. */
export async function applySeries(dir: string, patches: Patch[], options: { stopAtConflict: boolean }): Promise<PatchOutcome[]> {
  const outcomes: PatchOutcome[] = [];
  for (const patch of patches) {
    const outcome = await applyPatch(dir, patch);
    outcomes.push(outcome);
    if (outcome.status === 'conflict' && options.stopAtConflict) break;
  }
  return outcomes;
}
