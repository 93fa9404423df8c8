// The plan memo of `kiln build`: planning (kiln.yaml through YAML and its schema, kiln.lock, the Python locks) costs
// more than building an app layer, and a code change touches none of its inputs. After a build resolves a plan, the
// plan is recorded with the stat of every file it was planned from, keyed as the no-change replay is (command line,
// folder, environment, day, kiln and git revision). The next build of the same invocation whose planning inputs all
// stat the same takes that plan without loading the planner; only what the plan pins of the app folder (its digest)
// is computed again, and a project or path dependency whose source changed is pinned again alone (its wheel built
// anew); a git dependency that changed sends the build back to planning.
// Entries that pin anything not on this disk (a registry base, whose tag is checked at each plan; synced sources;
// an entry left unresolved) are never recorded.
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { platformEntries } from '../plan/platforms.js';
import { DEFAULT_REPORT_FILE, type BuildPlan, type ImagePlan, type PinnedPythonPackage, type Pins } from '../plan/types.js';
import { localPlace, manifestFiles, recordKey, statRecord, statsNow } from './stat-record.js';

/** PLAN_MEMO_FORMAT changes whenever what is recorded changes meaning. */
const PLAN_MEMO_FORMAT = 'resolved-plan/2';

/** PlanMemoContext is where the memo lives and what keys it. */
export interface PlanMemoContext {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  store: BlobStore;
  /** clock is nanoseconds since the epoch (tests cannot wait out the racy window). */
  clock?: () => bigint;
}

/** RecalledPlan is a recorded plan brought up to date: the app digests of today, local packages pinned again. */
export interface RecalledPlan {
  plan: BuildPlan;
  log: string[];
  /** repinned names the project and path dependencies whose wheels were built again (their source changed). */
  repinned: string[];
}

interface Recorded {
  /** key is the record's whole key material (recordKey), checked on reading. */
  key: string;
  files: Array<[path: string, stat: string]>;
  plan: BuildPlan;
  /** log is what planning printed (warnings, new pins), printed again when the plan is taken from the memo. */
  log: string[];
}

/**
 * recallPlan returns the plan the last build of this invocation resolved, with the app digests of today's folders,
 * when none of the files it was planned from changed; undefined otherwise. It never throws.
 */
export async function recallPlan(manifestFile: string, context: PlanMemoContext): Promise<RecalledPlan | undefined> {
  try {
    if (context.env.KILN_NO_FAST_PATH === '1') return undefined;
    const key = await recordKey(PLAN_MEMO_FORMAT, context.argv, context.cwd, context.env, manifestFile);
    const recorded = await context.store.getMemo<Recorded>('resolved-plan', key.name);
    if (!recorded || recorded.key !== key.material || recorded.plan.manifestFile !== manifestFile) return undefined;
    const now = await statsNow(recorded.files.map(([path]) => path));
    if (recorded.files.some(([, stat], index) => stat !== now[index])) return undefined;
    const { appDigest } = await import('../resolve/app-digest.js');
    // A project or path dependency whose source changed (its pyproject.toml did not: that is a planning input) is
    // pinned again alone: its wheel built anew, as planning would. Built once per folder for every platform.
    const repinned = new Map<string, Promise<PinnedPythonPackage>>();
    // Each source is hashed once, however many platforms pin it.
    const sourceDigests = new Map<string, Promise<string>>();
    const refresh = async (pins: Pins, epoch: number): Promise<Pins | undefined> => {
      let python = pins.python;
      for (const [index, pkg] of (python?.packages ?? []).entries()) {
        if (!pkg.source) continue;
        const { localSourceDigest, repinLocal } = await import('../python/local-pin.js');
        if (!sourceDigests.has(pkg.source.dir)) sourceDigests.set(pkg.source.dir, localSourceDigest(pkg));
        if ((await sourceDigests.get(pkg.source.dir)) === pkg.source.digest) continue;
        if (pkg.kind !== 'project' && pkg.kind !== 'path') return undefined;
        const key = `${pkg.source.dir}\0${pkg.layer}\0${epoch}`;
        if (!repinned.has(key)) repinned.set(key, repinLocal(pkg, { store: context.store, epoch }));
        const fresh = await repinned.get(key)!;
        python = { ...python!, packages: python!.packages.map((other, at) => (at === index ? fresh : other)) };
      }
      const refreshed = python ? { ...pins, python } : pins;
      return refreshed.app ? { ...refreshed, app: { ...refreshed.app, digest: await appDigest(refreshed.app, context.store) } } : refreshed;
    };
    const images: ImagePlan[] = [];
    for (const entry of recorded.plan.images) {
      if (entry.platforms) {
        const platforms = [];
        for (const platform of entry.platforms) {
          const pinned = platform.pinned && (await refresh(platform.pinned, entry.epoch));
          if (!pinned) return undefined;
          platforms.push({ ...platform, pinned });
        }
        images.push({ ...entry, platforms });
      } else {
        const pinned = entry.pinned && (await refresh(entry.pinned, entry.epoch));
        if (!pinned) return undefined;
        images.push({ ...entry, pinned });
      }
    }
    const fresh = await Promise.all(repinned.values());
    return { plan: { ...recorded.plan, images }, log: recorded.log, repinned: [...new Set(fresh.map((pkg) => pkg.name))].sort() };
  } catch {
    // A record that cannot be read is no record: planning decides.
    return undefined;
  }
}

/**
 * recordPlan records a resolved plan and the stat of every local file it was planned from. It records nothing when
 * the plan depends on something it cannot stat, or when one of those files changed within the racy window.
 * It never throws: a build is not failed by its shortcut.
 */
export async function recordPlan(plan: BuildPlan, log: readonly string[], context: PlanMemoContext): Promise<boolean> {
  try {
    if (plan.sources?.length) return false;
    const manifestDir = dirname(plan.manifestFile);
    // kiln.lock may not exist yet: recorded as absent, so its appearance is a change too.
    // A report at its default place is left out of the app layer only when it exists (kilnOutputsIn), so its
    // appearance changes the plan: recorded, absent or not.
    const reports = [join(context.cwd, DEFAULT_REPORT_FILE), join(manifestDir, DEFAULT_REPORT_FILE)];
    const inputs = new Set<string>([plan.manifestFile, join(manifestDir, 'kiln.lock'), ...manifestFiles(plan.manifestFile), ...reports]);
    const roots = new Set<string>();
    for (const entry of plan.images) {
      for (const part of entry.platforms ? platformEntries(entry) : [entry]) {
        if (!planInputs(part, inputs, roots, context.cwd)) return false;
      }
    }
    const now = (context.clock ?? (() => BigInt(Date.now()) * 1_000_000n))();
    const files = await statRecord(roots, inputs, { cacheRoot: resolve(context.store.root), now });
    if (!files) return false;
    const key = await recordKey(PLAN_MEMO_FORMAT, context.argv, context.cwd, context.env, plan.manifestFile);
    const recorded: Recorded = { key: key.material, files, plan, log: [...log] };
    await context.store.setMemo('resolved-plan', key.name, recorded);
    return true;
  } catch {
    return false;
  }
}

// planInputs adds the files and folders an entry was planned from (besides kiln.yaml and kiln.lock); false when the
// entry pins something that is not a local file.
function planInputs(entry: ImagePlan, inputs: Set<string>, roots: Set<string>, cwd: string): boolean {
  const pins = entry.pinned;
  if (!pins || entry.unresolved) return false;
  if (pins.base.kind === 'registry') return false;
  if (pins.base.kind === 'place') {
    const path = localPlace(pins.base.place, cwd);
    if (!path) return false;
    roots.add(path);
  }
  if (pins.python) {
    const lock = resolve(cwd, pins.python.lock.path);
    inputs.add(lock);
    inputs.add(join(dirname(lock), 'pyproject.toml'));
    for (const pkg of pins.python.packages) if (pkg.source && !pkg.source.dir.endsWith('.whl')) inputs.add(join(resolve(cwd, pkg.source.dir), 'pyproject.toml'));
    for (const link of pins.python.findLinks) {
      if (link.includes('://') && !link.startsWith('file://')) return false;
      roots.add(resolve(cwd, link.replace(/^file:\/\//, '')));
    }
  }
  return true;
}
