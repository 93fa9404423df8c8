// The no-change fast path of `kiln build`. After a build that succeeded, the files it depended on (the tree of the
// folder holding kiln.yaml, the app and Python sources and local bases planned from outside it, the outputs written)
// are recorded by stat, as git's index records a work tree. The next identical invocation (same arguments, folder,
// environment, day, kiln and git revision) whose recorded files all stat the same prints what that build printed and
// stops, before the planner is even loaded. Directories are recorded too: adding or removing a file changes its
// folder's mtime, so no listing is needed. Anything else (another flag, a push, sources synced from git, a registry
// or daemon output, a file changed within the racy window) takes the full build, which records again.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BlobStore } from '../cache/blob-store.js';
import { defaultCacheDir, readMemo } from '../cache/memo.js';
import type { BuildPlan, ImagePlan } from '../plan/types.js';
import { inside, localInputs, localPlace, manifestFiles, recordKey, statRecord, statsNow } from './stat-record.js';

/** UNCHANGED_FORMAT changes whenever what is recorded changes meaning. */
const UNCHANGED_FORMAT = 'unchanged-build/2';

// The build flags the fast path knows; any other (a push, --plan, --context, a backend, --debug) takes the full build.
const OPTIONS = {
  output: { type: 'string', short: 'o', multiple: true },
  file: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  only: { type: 'string', multiple: true },
  jobs: { type: 'string', short: 'j' },
  'fail-fast': { type: 'boolean' },
  locked: { type: 'boolean' },
  platform: { type: 'string' },
} as const;

interface Invocation {
  manifestFile: string;
  json: boolean;
  quiet: boolean;
}

/** Recorded is what a build left for the next one: each file's stat and what the build printed. */
interface Recorded {
  /** key is the record's whole key material (recordKey), checked on reading. */
  key: string;
  files: Array<[path: string, stat: string]>;
  stdout: string;
}

// invocation reads a `kiln build` command line the fast path may answer, or undefined.
function invocation(argv: string[], cwd: string): Invocation | undefined {
  if (argv[0] !== 'build') return undefined;
  try {
    const { values, positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true, options: OPTIONS, strict: true });
    if (positionals.length > 1) return undefined;
    const target = resolve(cwd, positionals[0] ?? '.');
    const manifestFile = values.file ? resolve(cwd, values.file) : target.endsWith('.yaml') || target.endsWith('.yml') ? target : join(target, 'kiln.yaml');
    return { manifestFile, json: values.json === true, quiet: values.quiet === true };
  } catch {
    // Not parseable here: the full build reports the problem.
    return undefined;
  }
}

/**
 * replayUnchanged answers a `kiln build` whose recorded files all stat as the last successful build of the same
 * invocation left them: it prints what that build printed and returns 0. It returns undefined (build normally) in
 * every other case, and never throws.
 */
export async function replayUnchanged(argv: string[], process: { env: NodeJS.ProcessEnv; cwd(): string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number | undefined> {
  try {
    if (process.env.KILN_NO_FAST_PATH === '1') return undefined;
    const cwd = process.cwd();
    const call = invocation(argv, cwd);
    if (!call) return undefined;
    const key = await recordKey(UNCHANGED_FORMAT, argv, cwd, process.env, call.manifestFile);
    const recorded = await readMemo<Recorded>(defaultCacheDir(process.env), 'unchanged-build', key.name);
    if (!recorded || recorded.key !== key.material) return undefined;
    const now = await statsNow(recorded.files.map(([path]) => path));
    if (recorded.files.some(([, stat], i) => stat !== now[i])) return undefined;
    process.stdout.write(recorded.stdout);
    if (!call.quiet && !call.json) process.stderr.write(`kiln: nothing changed since the last build of ${call.manifestFile}\n`);
    return 0;
  } catch {
    // A record that cannot be read is no record: the full build decides.
    return undefined;
  }
}

/** RecordContext is what recording needs besides the plan. */
export interface RecordContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  store: BlobStore;
  /** clock is nanoseconds since the epoch (tests cannot wait out the racy window). */
  clock?: () => bigint;
}

/**
 * recordUnchanged records, after `argv` built `plan` successfully and printed `stdout`, what replayUnchanged needs.
 * It records nothing when the build depended on anything it cannot stat (sources synced from git, registry or daemon
 * outputs, an entry left unresolved), when an input changed within the racy window (it might change again without
 * its stat moving), or when there are too many files. It never throws: a build is not failed by its shortcut.
 */
export async function recordUnchanged(argv: string[], plan: BuildPlan, stdout: string, context: RecordContext): Promise<boolean> {
  try {
    const call = invocation(argv, context.cwd);
    if (!call || call.manifestFile !== plan.manifestFile || plan.sources?.length) return false;
    const cacheRoot = resolve(context.store.root);
    const inputs = new Set<string>([plan.manifestFile]);
    const roots = new Set<string>([resolve(plan.manifestFile, '..')]);
    const outputs = new Set<string>();
    for (const file of manifestFiles(plan.manifestFile)) inputs.add(file);
    for (const entry of plan.images) {
      for (const part of entry.platforms ? entry.platforms.map((platform) => ({ ...entry, pinned: platform.pinned })) : [entry]) {
        if (!localInputs(part as ImagePlan, roots, inputs, context.cwd)) return false;
      }
      for (const output of entry.outputs) {
        const path = localPlace(output, context.cwd);
        if (!path) return false;
        outputs.add(path);
      }
    }
    const now = (context.clock ?? (() => BigInt(Date.now()) * 1_000_000n))();
    // Outputs, what is under them and the folders holding them were written by this build, so they are recent by
    // nature; a change by anyone else moves their stat.
    const written = (path: string): boolean => [...outputs].some((output) => inside(path, output) || inside(output, path));
    const files = await statRecord([...roots, ...outputs], inputs, { cacheRoot, now, written });
    if (!files) return false;
    const key = await recordKey(UNCHANGED_FORMAT, argv, context.cwd, context.env, plan.manifestFile);
    const recorded: Recorded = { key: key.material, files, stdout: call.json ? withoutTimes(stdout) : stdout };
    await context.store.setMemo('unchanged-build', key.name, recorded);
    return true;
  } catch {
    // A file vanished or could not be read while recording: no record, the next build is a full one.
    return false;
  }
}

// withoutTimes zeroes the seconds each entry took in a --json report: a replay took none of them.
function withoutTimes(stdout: string): string {
  const report = JSON.parse(stdout) as { entries?: Array<{ seconds?: number }> };
  for (const entry of report.entries ?? []) entry.seconds = 0;
  return `${JSON.stringify(report, null, 2)}\n`;
}
