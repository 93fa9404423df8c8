// `kiln build --watch`: build, then build again whenever a file the build was planned from changes, until stopped.
// A process that stays up pays once for what every `kiln build` pays at start (Node, kiln's modules, reading the
// plan memo, opening the base's layer memos), so a code change costs only its own work: the app digest, one small
// layer, the config and manifest, the outputs. What is watched comes from the last plan (the folder of kiln.yaml,
// app folders, Python sources and find-links, local bases, the Python lock); kiln's own outputs, the cache and .git
// are not, or every build would start the next.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { platformEntries } from '../plan/platforms.js';
import type { BuildPlan } from '../plan/types.js';
import { inside, localInputs, localPlace, manifestFiles } from './stat-record.js';

/** WatchSet is what a build depends on, as folders and files to watch, and what its own writes touch. */
export interface WatchSet {
  /** roots are folders watched with everything under them. */
  roots: string[];
  /** files are single files outside the roots, watched through their folder. */
  files: string[];
  /** ignored are paths whose changes start no build: the outputs (and their temp siblings) and the cache. */
  ignored: string[];
}

/**
 * watchSet is what to watch for `plan`: its local inputs, never its outputs, the cache at `cacheRoot` or what else
 * the build writes (`written`: a backend's generated contexts).
 */
export function watchSet(plan: BuildPlan, cwd: string, cacheRoot: string, written: readonly string[] = []): WatchSet {
  const manifestDir = dirname(plan.manifestFile);
  const roots = new Set([manifestDir]);
  const inputs = new Set([plan.manifestFile, join(manifestDir, 'kiln.lock'), ...manifestFiles(plan.manifestFile)]);
  const ignored = new Set([cacheRoot, ...written]);
  for (const entry of plan.images) {
    // An input that is not on this disk (a registry base, a git source) is checked by the next build instead.
    for (const part of entry.platforms ? platformEntries(entry) : [entry]) localInputs(part, roots, inputs, cwd);
    for (const output of entry.outputs) {
      const path = localPlace(output, cwd);
      if (path) ignored.add(path);
    }
  }
  const all = [...roots];
  // A folder under another is watched with it.
  const outer = all.filter((root) => !all.some((other) => other !== root && inside(root, other)));
  return { roots: outer, files: [...inputs].filter((file) => !outer.some((root) => inside(file, root))), ignored: [...ignored] };
}

/** ignoredPath says whether a change at `path` is kiln's own: under an output or the cache, a temp beside one, or .git. */
export function ignoredPath(path: string, set: WatchSet): boolean {
  if (path.split(sep).includes('.git')) return true;
  // Outputs are written beside under temp names (`<name>.tmp-<pid>-<hex>`, src/places/stale-temps.ts) and renamed.
  return set.ignored.some((ignored) => {
    if (inside(path, ignored)) return true;
    const [first] = relative(dirname(ignored), path).split(sep);
    return inside(path, dirname(ignored)) && first !== undefined && first.startsWith(`${basename(ignored)}.`);
  });
}

/** BuildOutcome is one build's exit code and, when it got that far, the plan it built. */
export interface BuildOutcome {
  code: number;
  plan?: BuildPlan;
}

/** WatchOptions drive watchBuilds. */
export interface WatchOptions {
  /** build runs one build; it reports its own errors and never throws. */
  build(): Promise<BuildOutcome>;
  /** targets is what to watch after a build of `plan`. */
  targets(plan: BuildPlan): WatchSet;
  /** fallback is what to watch while no build has planned (kiln.yaml does not parse): its folder. */
  fallback: WatchSet;
  /** log prints what the session does (what changed, what is watched); warn prints what it cannot do. */
  log(line: string): void;
  warn(line: string): void;
  /** stop ends the loop once the running build (if any) has finished. */
  stop: AbortSignal;
  /** debounceMs gathers the several events of one save (write, rename, chmod) into one build. */
  debounceMs?: number;
}

/**
 * watchBuilds builds, then builds again after each change under what the last build was planned from, one build at
 * a time (changes made during a build start one more when it ends). It resolves with the last build's exit code
 * once `stop` is aborted and the running build has finished.
 */
export async function watchBuilds(options: WatchOptions): Promise<number> {
  let last = await options.build();
  if (options.stop.aborted) return last.code;
  const watchers = new Watchers(options.warn, (path) => changedPath(path));
  let set = last.plan ? options.targets(last.plan) : options.fallback;
  watchers.update(set);
  options.log(`kiln: watching ${describeSet(set)} for changes (Ctrl-C to stop)`);

  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  function changedPath(path: string): void {
    if (options.stop.aborted || ignoredPath(path, set)) return;
    changed.add(path);
    schedule();
  }
  function schedule(): void {
    if (building || timer) return;
    timer = setTimeout(rebuild, options.debounceMs ?? 30);
  }
  function rebuild(): void {
    timer = undefined;
    const paths = [...changed].sort();
    changed = new Set();
    options.log(`kiln: ${describeChanges(paths, set)} changed: building`);
    building = (async () => {
      last = await options.build();
      if (last.plan) {
        set = options.targets(last.plan);
        watchers.update(set);
      }
    })();
    void building.then(() => {
      building = undefined;
      if (options.stop.aborted) finish(last.code);
      else if (changed.size) schedule();
    });
  }
  const onStop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    watchers.close();
    if (!building) finish(last.code);
  };
  if (options.stop.aborted) onStop();
  else options.stop.addEventListener('abort', onStop, { once: true });
  return done;
}

// Watchers keeps one fs.watch per watched folder: recursive for roots, flat for the folder of a single file.
class Watchers {
  private readonly open = new Map<string, FSWatcher>();
  private files = new Set<string>();

  constructor(private readonly warn: (line: string) => void, private readonly changed: (path: string) => void) {}

  update(set: WatchSet): void {
    this.files = new Set(set.files);
    const wanted = new Map<string, { dir: string; recursive: boolean }>();
    for (const root of set.roots) wanted.set(`r ${root}`, { dir: root, recursive: true });
    for (const file of set.files) wanted.set(`f ${dirname(file)}`, { dir: dirname(file), recursive: false });
    for (const [key, watcher] of this.open) {
      if (wanted.has(key)) continue;
      watcher.close();
      this.open.delete(key);
    }
    for (const [key, { dir, recursive }] of wanted) {
      if (this.open.has(key)) continue;
      try {
        const watcher = watch(dir, { recursive }, (_event, name) => {
          const path = name ? join(dir, name.toString()) : dir;
          if (recursive || this.files.has(path)) this.changed(path);
        });
        // A watched folder removed or unreadable: said once; the next build (started by another folder's event)
        // watches it again if its plan still names it.
        watcher.on('error', (error) => {
          watcher.close();
          this.open.delete(key);
          this.warn(`kiln: stopped watching ${dir}: ${error.message}`);
        });
        this.open.set(key, watcher);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // inotify's per-user limit: builds still run, but this folder's changes would go unseen.
        if (code === 'ENOSPC') this.warn(`kiln: cannot watch ${dir}: the system's limit of inotify watches is reached (raise fs.inotify.max_user_watches)`);
        else if (code !== 'ENOENT') this.warn(`kiln: cannot watch ${dir}: ${(error as Error).message}`);
      }
    }
  }

  close(): void {
    for (const watcher of this.open.values()) watcher.close();
    this.open.clear();
  }
}

function describeSet(set: WatchSet): string {
  const folders = set.roots.length + new Set(set.files.map((file) => dirname(file))).size;
  return folders === 1 ? set.roots[0] ?? dirname(set.files[0]!) : `${folders} folders`;
}

function describeChanges(paths: string[], set: WatchSet): string {
  const named = paths.slice(0, 3).map((path) => {
    const root = set.roots.find((dir) => inside(path, dir));
    return root ? relative(root, path) || basename(path) : path;
  });
  return paths.length > 3 ? `${named.join(', ')} and ${paths.length - 3} more` : named.join(', ');
}
