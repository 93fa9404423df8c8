// Zod issues as a reader wants them: a union's vague "Invalid input" replaced by its closest branch's issue.
import type { z } from 'zod';

/** IssuePath is a zod issue path without symbols. */
export type IssuePath = Array<string | number>;

/** closestIssue unwraps union issues into the issue of the branch that got furthest, with its full path. */
export function closestIssue(issue: z.core.$ZodIssue): { path: IssuePath; issue: z.core.$ZodIssue } {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // A bad record key says only "Invalid key in record"; the key schema's own issue says why.
  if (issue.code === 'invalid_key' && issue.issues[0]) return { path, issue: issue.issues[0] };
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path, issue };
  let best: { path: IssuePath; issue: z.core.$ZodIssue } | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const inner = closestIssue(first);
    // A branch that failed on its very type (a string where a mapping was given) explains least.
    const score = inner.path.length * 2 + (inner.issue.code === 'invalid_type' && inner.path.length === 0 ? 0 : 1);
    const bestScore = best ? best.path.length * 2 + (best.issue.code === 'invalid_type' && best.path.length === 0 ? 0 : 1) : -1;
    if (score > bestScore) best = inner;
  }
  return best ? { path: [...path, ...best.path], issue: best.issue } : { path, issue };
}
