// kiln source sync|bump|checkout|refresh: the upstream-and-patches loop over kiln.yaml's `sources:`. sync records
// pins, bump moves one only when its series still applies (a table says how each patch fared), checkout gives a
// working tree with one commit per patch, refresh writes the commits back as the series.
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { readManifest } from '../../config/load.js';
import type { KilnManifest, SourceSpec } from '../../config/schema.js';
import { suggest } from '../../config/suggest.js';
import { readLock, writeLock, type LockedSource } from '../../debian/lock.js';
import { InputError, UsageError } from '../../errors.js';
import { redact } from '../../http/redact.js';
import { describeConflict, type PatchOutcome } from '../../source/apply.js';
import { bumpSource } from '../../source/bump.js';
import { checkoutPin, checkoutSource, formatSeries, writeSeries } from '../../source/checkout.js';
import { setSourceRef } from '../../source/manifest-edit.js';
import { mirrorWithCommit } from '../../source/mirror.js';
import { lockedSource, pinFor, seriesOf, syncSource, type SyncOptions } from '../../source/sync.js';
import { manifestPath } from './build.js';
import { progressLogger } from '../progress.js';
import { jsonOption, manifestOptions } from '../options.js';
import type { SourceBumpJson, SourceSyncJson } from '../json-shapes.js';

const USAGE = [
  'kiln source sync [NAME] [-f kiln.yaml] [--locked] [--json]',
  '       kiln source bump NAME [--to REF] [-f kiln.yaml] [--json]',
  '       kiln source checkout NAME DIR [-f kiln.yaml]',
  '       kiln source refresh NAME [DIR] [-f kiln.yaml]',
].join('\n');

interface Loaded {
  manifestFile: string;
  manifestDir: string;
  manifest: KilnManifest;
  lockFile: string;
}

function sourceNamed(loaded: Loaded, name: string | undefined): SourceSpec {
  const sources = loaded.manifest.sources ?? {};
  if (!name) throw new UsageError(`name a source (${Object.keys(sources).join(', ') || 'kiln.yaml has no sources:'})`);
  const spec = sources[name];
  if (!spec) {
    const hint = suggest(name, Object.keys(sources));
    throw new UsageError(`no source "${name}" in ${loaded.manifestFile}${hint ? ` (did you mean "${hint}"?)` : Object.keys(sources).length ? ` (sources: ${Object.keys(sources).join(', ')})` : ''}`);
  }
  return spec;
}

async function recordPins(lockFile: string, pins: Record<string, LockedSource>): Promise<void> {
  // Re-read: a build may have recorded other pins meanwhile.
  const fresh = await readLock(lockFile);
  await writeLock(lockFile, { ...fresh, sources: { ...fresh.sources, ...pins } });
}

function outcomeText(outcome: PatchOutcome): string {
  return outcome.status === 'conflict' ? `conflict: ${describeConflict(outcome)}` : outcome.status === 'clean' ? 'applies cleanly' : 'applies with a 3-way merge';
}

function checkoutMemoKey(manifestFile: string, name: string): string {
  return createHash('sha256').update(`${manifestFile}\0${name}`).digest('hex');
}

async function sync(loaded: Loaded, name: string | undefined, locked: boolean, json: boolean, context: CommandContext, syncOptions: SyncOptions): Promise<number> {
  const sources = loaded.manifest.sources ?? {};
  const names = name ? [name] : Object.keys(sources).sort();
  if (name) sourceNamed(loaded, name);
  if (names.length === 0) throw new UsageError(`${loaded.manifestFile} has no sources:`);
  const pins: Record<string, LockedSource> = {};
  const document: SourceSyncJson = [];
  for (const source of names) {
    const synced = await syncSource(source, sources[source]!, syncOptions);
    document.push(synced);
    pins[source] = lockedSource(synced);
    if (json) continue;
    const patches = synced.patches.map((patch) => `${patch.name} ${patch.applied}`).join(', ');
    context.stdout.write(`${source}: ${synced.ref} ${synced.commit.slice(0, 12)}${synced.version ? ` (version ${synced.version})` : ''} -> ${synced.dir}${patches ? `\n  patches: ${patches}` : ''}\n`);
  }
  if (!locked) await recordPins(loaded.lockFile, pins);
  if (json) context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  return 0;
}

async function bump(loaded: Loaded, name: string | undefined, to: string | undefined, json: boolean, context: CommandContext, options: SyncOptions): Promise<number> {
  const spec = sourceNamed(loaded, name);
  const current = pinFor(spec, options.pins[name!]) ?? options.pins[name!];
  const result = await bumpSource(name!, spec, { ...options, ...(current ? { current } : {}), ...(to ? { to } : {}) });
  if (json) {
    // The document is printed before a conflict fails the command: it says which patch conflicts, and where.
    const document: SourceBumpJson = { ...result, lockFile: loaded.lockFile, ...(result.pin && result.ref !== spec.ref ? { manifestRef: result.ref } : {}) };
    context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    const conflicts = result.outcomes.filter((outcome) => outcome.status === 'conflict').length;
    if (!result.pin) throw new InputError(`source ${name}: ${conflicts} of ${result.outcomes.length} patches conflict at ${result.ref}; nothing changed`);
    await recordPins(loaded.lockFile, { [name!]: result.pin });
    if (result.ref !== spec.ref) await setSourceRef(loaded.manifestFile, name!, result.ref);
    return 0;
  }
  context.stdout.write(`${name}: ${result.from ? result.from.slice(0, 12) : '(not pinned)'} -> ${result.to.slice(0, 12)} (${result.ref})\n`);
  const width = Math.max(5, ...result.outcomes.map((outcome) => outcome.patch.length));
  if (result.outcomes.length) {
    context.stdout.write(`  ${'patch'.padEnd(width)}  result\n`);
    for (const outcome of result.outcomes) context.stdout.write(`  ${outcome.patch.padEnd(width)}  ${outcomeText(outcome)}\n`);
  }
  const conflicts = result.outcomes.filter((outcome) => outcome.status === 'conflict').length;
  if (!result.pin) throw new InputError(`source ${name}: ${conflicts} of ${result.outcomes.length} patches conflict at ${result.ref}; nothing changed`);
  await recordPins(loaded.lockFile, { [name!]: result.pin });
  if (result.ref !== spec.ref) await setSourceRef(loaded.manifestFile, name!, result.ref);
  context.stdout.write(`${loaded.lockFile}: ${name} pinned to ${result.to} (${result.ref})${result.ref !== spec.ref ? `; ${loaded.manifestFile} now names ref ${result.ref}` : ''}\n`);
  if (result.outcomes.some((outcome) => outcome.status === '3-way')) {
    context.stdout.write(`some patches need a 3-way merge: kiln source checkout ${name} DIR, then kiln source refresh ${name} DIR makes them apply cleanly\n`);
  }
  return 0;
}

async function checkout(loaded: Loaded, name: string | undefined, dir: string | undefined, context: CommandContext, options: SyncOptions): Promise<number> {
  const spec = sourceNamed(loaded, name);
  if (!dir) throw new UsageError('give the folder to check the source out into: kiln source checkout NAME DIR');
  const target = resolve(context.cwd, dir);
  // Synced first: the pin is recorded (or used) exactly as a build would, and a broken series fails here.
  const synced = await syncSource(name!, spec, options);
  await recordPins(loaded.lockFile, { [name!]: lockedSource(synced) });
  const mirror = await mirrorWithCommit(spec.git, synced.commit, options);
  await checkoutSource(name!, mirror, synced.commit, spec.paths, await seriesOf(spec, loaded.manifestDir), target);
  await options.store.setMemo('source-checkout', checkoutMemoKey(loaded.manifestFile, name!), { dir: target });
  context.stdout.write(`${target}: ${name} at ${synced.commit.slice(0, 12)} (${synced.ref}) on branch kiln/${name}, ${synced.patches.length} patch commit(s); edit, commit, then kiln source refresh ${name}\n`);
  return 0;
}

async function refresh(loaded: Loaded, name: string | undefined, dir: string | undefined, context: CommandContext, options: SyncOptions): Promise<number> {
  const spec = sourceNamed(loaded, name);
  if (!spec.patches) throw new UsageError(`source ${name} names no patches folder in kiln.yaml; add one (e.g. patches: patches/${name}/)`);
  const remembered = await options.store.getMemo<{ dir: string }>('source-checkout', checkoutMemoKey(loaded.manifestFile, name!));
  const target = dir ? resolve(context.cwd, dir) : remembered?.dir;
  if (!target) throw new UsageError(`no checkout of ${name} is known: give its folder (kiln source refresh ${name} DIR)`);
  const made = await checkoutPin(target);
  if (made.name !== name) throw new UsageError(`${target} is a checkout of source ${made.name}, not ${name}`);
  const pin = pinFor(spec, options.pins[name!]);
  if (pin && pin.commit !== made.pin) {
    throw new UsageError(`${target} was checked out at ${made.pin.slice(0, 12)}, but kiln.lock now pins ${pin.commit.slice(0, 12)}: check ${name} out again`);
  }
  const patches = await formatSeries(target, made.pin);
  const patchesDir = resolve(loaded.manifestDir, spec.patches);
  await writeSeries(patchesDir, patches);
  const series = await seriesOf(spec, loaded.manifestDir);
  await recordPins(loaded.lockFile, { [name!]: { git: spec.git, ref: spec.ref, commit: made.pin, patches: series.map(({ name: patch, sha256 }) => ({ name: patch, sha256 })) } });
  for (const patch of patches) context.stdout.write(`${join(patchesDir, patch.name)}\n`);
  context.stdout.write(`${name}: ${patches.length} patch(es) written from ${target}\n`);
  return 0;
}

export const command = defineCommand({
  summary: 'Upstream sources (kiln.yaml sources:): sync checks out every pinned commit with its patch series applied and records new pins in kiln.lock; bump moves a pin to the newest commit of its ref (or --to REF) when the series still applies, printing how each patch applies (cleanly, by 3-way merge, or the conflicting file and hunk); checkout makes a git working tree with one commit per patch; refresh writes those commits back as the series.',
  usage: USAGE,
  arguments: [
    { name: 'ACTION', required: true, choices: ['sync', 'bump', 'checkout', 'refresh'], description: 'sync, bump, checkout or refresh' },
    { name: 'NAME', description: 'a source of kiln.yaml sources:' },
    { name: 'DIR', description: 'checkout/refresh: the working tree' },
  ],
  options: {
    ...manifestOptions,
    to: { type: 'string', value: 'REF', description: 'bump: move to this ref instead of the newest commit of the current one' },
    locked: { type: 'boolean', default: false, description: 'sync: refuse a source kiln.lock does not pin, and write nothing to it' },
    ...jsonOption,
  },
  async run(values, positionals, context) {
    const [action, name, dir] = positionals;
    if ((action === 'sync' && dir) || (action === 'bump' && dir)) throw new UsageError(`too many arguments for kiln source ${action}`);
    if (values.to !== undefined && action !== 'bump') throw new UsageError('--to goes with kiln source bump');
    if (values.locked && action !== 'sync') throw new UsageError('--locked goes with kiln source sync');
    if (values.json && action !== 'sync' && action !== 'bump') throw new UsageError('--json goes with kiln source sync and bump');
    const manifestFile = await manifestPath(undefined, context.cwd, values.file);
    const { manifest } = await readManifest(manifestFile, context.overrides);
    const manifestDir = dirname(manifestFile);
    const loaded: Loaded = { manifestFile, manifestDir, manifest, lockFile: join(manifestDir, 'kiln.lock') };
    const progress = progressLogger(context);
    const options: SyncOptions = {
      store: context.cache(),
      env: context.env,
      manifestDir,
      pins: (await readLock(loaded.lockFile)).sources ?? {},
      locked: values.locked,
      log: (line) => progress.log(redact(line)),
    };
    try {
      if (action === 'sync') return await sync(loaded, name, values.locked, values.json, context, options);
      if (action === 'bump') return await bump(loaded, name, values.to, values.json, context, options);
      if (action === 'checkout') return await checkout(loaded, name, dir, context, options);
      return await refresh(loaded, name, dir, context, options);
    } finally {
      progress.done();
    }
  },
});
