// What kiln's two build shortcuts share (the no-change replay, src/cli/unchanged.ts, and the plan memo,
// src/cli/plan-memo.ts): files recorded by stat as git's index records a work tree, and the key of everything
// besides files that can change what a build does.
import { lstat, readdir } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import type { ImagePlan } from '../plan/types.js';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { lastChange, RACY_WINDOW_NS } from '../cache/racy.js';
import { kilnFingerprint } from '../apply/kiln-fingerprint.js';
import { gitRevision } from '../plan/git-revision.js';

/** MAX_PATHS bounds the files recorded: a project folder bigger than this is not worth stat-ing on every build. */
export const MAX_PATHS = 20_000;

/** statKey is what a recorded file must still match: any write, rename or replacement moves one of these. */
export function statKey(info: BigIntStats): string {
  return [info.mode, info.size, info.mtimeNs, info.ctimeNs, info.ino, info.dev].join(':');
}

/** statsNow is each path's statKey now ('' for one that is gone). */
export function statsNow(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map((path) => lstat(path, { bigint: true }).then(statKey, () => '')));
}

// Variables a shell sets per command or per folder, which no build reads ({env.NAME} reads any other; cwd is keyed apart).
const SHELL_BOOKKEEPING = new Set(['_', 'OLDPWD', 'PWD', 'SHLVL', 'COLUMNS', 'LINES']);

/**
 * RecordKey is what a record is keyed by: `material` (everything besides files that can change what a build does
 * or prints) and `name`, the file it is kept under. A record holds its material and is taken only when that matches.
 */
export interface RecordKey {
  name: string;
  material: string;
}

/** recordKey keys a record by everything besides files that can change what a build does or prints. */
export async function recordKey(format: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, manifestFile: string): Promise<RecordKey> {
  const environment = Object.entries(env).filter(([name]) => !SHELL_BOOKKEEPING.has(name)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const material = JSON.stringify({
    format,
    kiln: await kilnFingerprint(),
    argv,
    cwd,
    environment,
    // {date} in tags: a new day is a new build.
    day: new Date().toISOString().slice(0, 10),
    // The revision annotation and {git.sha} tags.
    revision: gitRevision(resolve(manifestFile, '..')) ?? null,
  });
  return { name: `${mix(material, 0)}${mix(material, 1)}`, material };
}

// mix is a 53-bit string hash (multiply-xorshift over UTF-16 units, as cyrb53), as 14 hex digits: two seeds name a
// record. Not SHA-256, whose module (node:crypto) takes longer to load than the whole no-change replay; a clash of
// names is harmless, because a record is taken only when its whole key material matches.
function mix(text: string, seed: number): string {
  let a = 0xdeadbeef ^ seed;
  let b = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 2654435761);
    b = Math.imul(b ^ unit, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return ((b & 0x1fffff) * 0x100000000 + (a >>> 0)).toString(16).padStart(14, '0');
}

/** recentlyChanged says whether a file changed within the racy window: it could change again without its stat moving. */
export function recentlyChanged(info: BigIntStats, now: bigint): boolean {
  return lastChange(info) + RACY_WINDOW_NS >= now;
}

/**
 * manifestFiles are the files besides kiln.yaml that expanding it reads: its version_file, and the pyproject.toml
 * {version} comes from (beside kiln.yaml, or in its project folder). Read with patterns rather than the YAML parser,
 * which the shortcuts exist not to load; a pattern that finds too much only records a file more.
 */
export function manifestFiles(manifestFile: string): string[] {
  const text = readFileSync(manifestFile, 'utf8');
  const dir = dirname(manifestFile);
  const files = [join(dir, 'pyproject.toml')];
  const versionFile = /^\s*version_file:\s*["']?([^"'\n#]+?)["']?\s*(?:#.*)?$/m.exec(text)?.[1];
  if (versionFile) files.push(resolve(dir, versionFile));
  for (const match of text.matchAll(/^\s*project:\s*["']?([^"'\n#{}]+?)["']?\s*(?:#.*)?$/gm)) files.push(resolve(dir, match[1]!, 'pyproject.toml'));
  return files;
}

/**
 * localInputs adds the folders (app, local base, find-links, Python sources) and files (the Python lock) an entry was
 * planned from to `roots` and `inputs`; false when one of them is not on this disk.
 */
export function localInputs(entry: ImagePlan, roots: Set<string>, inputs: Set<string>, cwd: string): boolean {
  const pins = entry.pinned;
  if (!pins || entry.unresolved) return false;
  if (pins.app) roots.add(resolve(cwd, pins.app.dir));
  if (pins.base.kind === 'place') {
    const path = localPlace(pins.base.place, cwd);
    if (!path) return false;
    roots.add(path);
  }
  if (pins.python) {
    inputs.add(resolve(cwd, pins.python.lock.path));
    for (const link of pins.python.findLinks) if (!link.includes('://')) roots.add(resolve(cwd, link.replace(/^file:\/\//, '')));
    for (const pkg of pins.python.packages) if (pkg.source && !pkg.source.dir.includes('://')) roots.add(resolve(cwd, pkg.source.dir));
  }
  return true;
}

/** localPlace is the file or folder of an oci: or docker-archive: place, or undefined for any other place. */
export function localPlace(place: string, cwd: string): string | undefined {
  const match = /^(oci|docker-archive):([^:]+)/.exec(place);
  return match ? resolve(cwd, match[2]!) : undefined;
}

/** walk stats `root` and everything under it but .git folders and the cache; false past MAX_PATHS. */
export async function walk(root: string, files: Map<string, BigIntStats>, cacheRoot: string): Promise<boolean> {
  if (inside(root, cacheRoot)) return true;
  const info = await lstat(root, { bigint: true });
  files.set(root, info);
  if (files.size > MAX_PATHS) return false;
  if (!info.isDirectory()) return true;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    if (!(await walk(join(root, entry.name), files, cacheRoot))) return false;
  }
  return true;
}

/**
 * statRecord stats everything under `roots` and each of `inputs` (one that does not exist is recorded as absent, '',
 * so its appearance is a change too) and returns [path, statKey] pairs. It returns undefined past MAX_PATHS, or when
 * a file that is not `written` (by the build itself) changed within the racy window: it could change again within
 * the same timestamp, so the next build must read it again.
 */
export async function statRecord(roots: Iterable<string>, inputs: Iterable<string>, options: { cacheRoot: string; now: bigint; written?: (path: string) => boolean }): Promise<Array<[path: string, stat: string]> | undefined> {
  const walked = new Map<string, BigIntStats>();
  for (const root of roots) if (!(await walk(root, walked, options.cacheRoot))) return undefined;
  const files = new Map<string, BigIntStats | undefined>(walked);
  for (const path of inputs) if (!files.has(path)) files.set(path, await lstat(path, { bigint: true }).catch(() => undefined));
  for (const [path, info] of files) if (info && !options.written?.(path) && recentlyChanged(info, options.now)) return undefined;
  return [...files].map(([path, info]) => [path, info ? statKey(info) : '']);
}

/** inside says whether `path` is `dir` or under it. */
export function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
