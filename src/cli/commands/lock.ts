// kiln lock [DIR] [--update]: pin every image's distro packages and registry base digests in kiln.lock.
import { dirname } from 'node:path';
import { defineCommand } from '../command.js';
import { isMultiPlatform, planBuild, platformEntries, platformLockName } from '../../plan/index.js';
import { baseRequest, lockPath } from '../../debian/base-source.js';
import { packagesFromLock, readLock, requestHash, resolveBase, writeLock, type LockedBase, type LockedSource } from '../../debian/lock.js';
import { readManifest } from '../../config/load.js';
import { InputError } from '../../errors.js';
import { describeConflict } from '../../source/apply.js';
import { bumpSource } from '../../source/bump.js';
import type { CommandContext } from '../context.js';
import { registryLockKey, tagDigest } from '../../resolve/registry-base.js';
import { manifestPath } from './build.js';
import { jsonOption, manifestOptions } from '../options.js';
import type { LockJson } from '../json-shapes.js';
import { lockedSource } from '../../source/sync.js';
import { progressLogger } from '../progress.js';

export const command = defineCommand({
  summary: 'Resolve the distro packages of every image and pin them (name, version, sha256, size) in kiln.lock, with the digest each registry base\'s tag names. --update re-resolves everything (follows moved tags and source refs).',
  usage: 'kiln lock [DIR|FILE] [-f kiln.yaml] [--update] [--json]',
  arguments: [{ name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' }],
  options: {
    ...manifestOptions,
    update: { type: 'boolean', default: false, description: 're-resolve everything (follows moved tags and source refs)' },
    ...jsonOption,
  },
  async run(values, positionals, context) {
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const progress = progressLogger(context, values.json);
    const path = lockPath(dirname(manifestFile));
    // Sources move first: a series that conflicts at the new commit fails the command before anything is resolved or written.
    const moved = values.update ? await updateSources(manifestFile, (await readLock(path)).sources ?? {}, context, progress.log) : new Map<string, LockedSource>();
    const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, store: context.cache(), log: progress.log });
    const lock = await readLock(path);
    const bases = { ...(values.update ? {} : lock.bases) };
    let changed = 0;
    const resolved = new Map<string, LockedBase>();
    // A multi-platform entry locks one base per platform (`name@arch`), each resolved for its architecture.
    const lockNames = new Set<string>();
    for (const image of plan.images.flatMap((entry) => platformEntries(entry).map((part) => ({ part, lockName: isMultiPlatform(entry) ? platformLockName(entry.name, part.platform) : entry.name })))) {
      const { part, lockName } = image;
      lockNames.add(lockName);
      if (part.base.kind !== 'distro') continue;
      const request = baseRequest(part.base.spec, part.platform.architecture);
      const existing = bases[lockName];
      if (existing) {
        try {
          packagesFromLock(existing, request, lockName);
          continue;
        } catch {
          // Stale: resolve again below.
        }
      }
      // Matrix entries often share a base: resolve each distinct request once per run.
      const hash = requestHash(request);
      const twin = resolved.get(hash);
      if (!twin) progress.log(`${lockName}: resolving ${request.distro} ${request.release} ${request.architecture}`);
      bases[lockName] = twin ?? (await resolveBase(request, { store: context.cache() }));
      resolved.set(hash, bases[lockName]!);
      changed++;
    }
    // Entries for images that no longer exist are dropped.
    for (const name of Object.keys(bases)) if (!lockNames.has(name)) delete bases[name];
    // Registry bases: a tag is pinned to the digest it names now; --update follows a tag that moved.
    const registry: Record<string, { digest: string }> = {};
    for (const image of plan.images) {
      if (image.base.kind !== 'place' || !image.base.place.startsWith('docker://') || image.base.place.includes('@')) continue;
      const key = registryLockKey(image.base.place);
      if (registry[key]) continue;
      const existing = values.update ? undefined : lock.registry?.[key];
      if (existing) registry[key] = existing;
      else {
        const digest = await tagDigest(image.base.place, context.env);
        if (lock.registry?.[key]?.digest !== digest) {
          progress.log(`${key}: ${lock.registry?.[key] ? `moved from ${lock.registry[key]!.digest} to` : 'pinned to'} ${digest}`);
          changed++;
        }
        registry[key] = { digest };
      }
    }
    // Sources were synced by planning: their pins (kept, new ones, or moved by --update) are recorded.
    const sources = { ...lock.sources };
    for (const source of plan.sources ?? []) sources[source.name] = moved.get(source.name) ?? lockedSource(source);
    changed += [...moved].filter(([name, pin]) => lock.sources?.[name]?.commit !== pin.commit).length;
    for (const name of Object.keys(sources)) if (!plan.sources?.some((source) => source.name === name)) delete sources[name];
    await writeLock(path, { version: 1, bases, registry, sources });
    progress.done();
    if (values.json) {
      const document: LockJson = {
        lockFile: path,
        changed,
        bases: Object.fromEntries(Object.entries(bases).sort().map(([name, base]) => [name, { distro: base.distro, release: base.release, architecture: base.architecture, variant: base.variant, packages: base.packages.length }])),
        registry: Object.fromEntries(Object.entries(registry).sort()),
      };
      context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    for (const [name, base] of Object.entries(bases).sort()) {
      context.stdout.write(`${name}: ${base.distro} ${base.release} ${base.architecture} ${base.variant}, ${base.packages.length} packages\n`);
    }
    for (const [key, pin] of Object.entries(registry).sort()) context.stdout.write(`${key}: ${pin.digest}\n`);
    context.stdout.write(`${path}: ${changed} base(s) resolved\n`);
    return 0;
  },
});

/**
 * updateSources moves every source of kiln.yaml to the newest commit of its ref, as `kiln source bump NAME` does, and
 * returns the new pins; a patch that conflicts there is one error naming it, and nothing is written.
 */
async function updateSources(manifestFile: string, pins: Record<string, LockedSource>, context: CommandContext, log: (line: string) => void): Promise<Map<string, LockedSource>> {
  const { manifest } = await readManifest(manifestFile, context.overrides);
  const moved = new Map<string, LockedSource>();
  for (const [name, spec] of Object.entries(manifest.sources ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const current = pins[name];
    const bump = await bumpSource(name, spec, { store: context.cache(), env: context.env, manifestDir: dirname(manifestFile), log, ...(current ? { current } : {}) });
    const conflict = bump.outcomes.find((outcome) => outcome.status === 'conflict');
    if (!bump.pin || conflict) {
      const where = conflict?.status === 'conflict' ? `: patch ${conflict.patch} conflicts (${describeConflict(conflict)})` : '';
      throw new InputError(`source ${name}: ${bump.ref} is now ${bump.to.slice(0, 12)}${where}; nothing changed (kiln source bump ${name} shows every patch)`);
    }
    if (current?.commit !== bump.to) log(`source ${name}: ${current ? `moved from ${current.commit.slice(0, 12)} to` : 'pinned to'} ${bump.to.slice(0, 12)} (${bump.ref})`);
    moved.set(name, bump.pin);
  }
  return moved;
}
