// The edit loop: `kiln source checkout` makes a working tree at the pin with one commit per patch; after the user
// edits and commits, `kiln source refresh` writes the commits on top of the pin back as the series. Patches are
// written the same way every time (no dates, no git version, full blob ids for 3-way merges), so refreshing an
// unedited checkout gives the same bytes.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../places/blob-file.js';
import { applySeries, describeConflict } from './apply.js';
import { git, runGit } from './git.js';
import type { Mirror } from './mirror.js';
import type { Patch } from './series.js';
import { checkoutCommit } from './tree.js';

/** checkoutSource makes `dir` a git working tree of `commit` (branch kiln/NAME) with the series as commits. */
export async function checkoutSource(name: string, mirror: Mirror, commit: string, paths: string[], patches: Patch[], dir: string): Promise<void> {
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new UsageError(`${dir} is not empty: give a new folder to check ${name} out into`);
  await checkoutCommit(mirror, commit, paths, dir, { shared: false });
  const context = `checking out ${name}`;
  // The user fetches from upstream, not from kiln's cache.
  await git(['remote', 'set-url', 'origin', mirror.url], { cwd: dir, context });
  await git(['config', 'kiln.source', name], { cwd: dir, context });
  await git(['config', 'kiln.pin', commit], { cwd: dir, context });
  await git(['checkout', '--quiet', '-b', `kiln/${name}`], { cwd: dir, context });
  const outcomes = await applySeries(dir, patches, { stopAtConflict: true });
  const conflict = outcomes.find((outcome) => outcome.status === 'conflict');
  if (conflict?.status === 'conflict') {
    throw new InputError(`patch ${conflict.patch} does not apply: ${describeConflict(conflict)}; ${dir} holds the patches before it (apply it by hand, commit, then kiln source refresh ${name} ${dir})`);
  }
}

/** RefreshedPatch is one patch of a regenerated series. */
export interface RefreshedPatch {
  name: string;
  text: string;
}

function slug(subject: string): string {
  return subject.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 52).replace(/-+$/, '') || 'patch';
}

/** formatSeries renders the commits between `base` and HEAD of `dir` as patches, one per commit, oldest first. */
export async function formatSeries(dir: string, base: string): Promise<RefreshedPatch[]> {
  const context = `reading the commits of ${dir}`;
  const status = await git(['status', '--porcelain', '--untracked-files=no'], { cwd: dir, context });
  if (status.trim()) throw new UsageError(`${dir} has uncommitted changes: commit them (one commit per patch), then refresh`);
  const commits = (await git(['rev-list', '--reverse', '--topo-order', `${base}..HEAD`], { cwd: dir, context })).split('\n').filter(Boolean);
  const merges = (await git(['rev-list', '--merges', `${base}..HEAD`], { cwd: dir, context })).trim();
  if (merges) throw new UsageError(`${dir} has merge commits on top of the pin: rebase them into a line of commits, then refresh`);
  const patches: RefreshedPatch[] = [];
  for (const [i, commit] of commits.entries()) {
    const [author = '', subject = '', ...body] = (await git(['show', '-s', '--format=%an <%ae>%n%s%n%b', commit], { cwd: dir, context })).replace(/\n+$/, '').split('\n');
    const diff = await git(['diff-tree', '-p', '--full-index', '--no-color', '--no-renames', '--no-ext-diff', '--src-prefix=a/', '--dst-prefix=b/', `${commit}^`, commit], { cwd: dir, context });
    const message = body.join('\n').trim();
    const text = `From: ${author}\nSubject: ${subject}\n\n${message ? `${message}\n\n` : ''}---\n${diff}`;
    patches.push({ name: `${String(i + 1).padStart(4, '0')}-${slug(subject)}.patch`, text });
  }
  return patches;
}

/** writeSeries replaces the series in `patchesDir`: new patch files, a `series` file if there was one, stale patches removed. */
export async function writeSeries(patchesDir: string, patches: RefreshedPatch[]): Promise<void> {
  const before = existsSync(patchesDir) ? await readdir(patchesDir) : [];
  for (const patch of patches) await writeFileAtomic(join(patchesDir, patch.name), patch.text);
  if (before.includes('series')) await writeFileAtomic(join(patchesDir, 'series'), patches.map((patch) => `${patch.name}\n`).join(''));
  const kept = new Set(patches.map((patch) => patch.name));
  for (const name of before) if ((name.endsWith('.patch') || name.endsWith('.diff')) && !kept.has(name)) await rm(join(patchesDir, name));
}

/** checkoutPin reads which source and pin a checkout was made for. */
export async function checkoutPin(dir: string): Promise<{ name: string; pin: string }> {
  const name = await runGit(['config', 'kiln.source'], { cwd: dir });
  const pin = await runGit(['config', 'kiln.pin'], { cwd: dir });
  if (name.code !== 0 || pin.code !== 0) throw new UsageError(`${dir} is not a checkout kiln source checkout made`);
  return { name: name.stdout.trim(), pin: pin.stdout.trim() };
}
