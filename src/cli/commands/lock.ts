// kiln lock [DIR] [--update]: resolve distro packages for every image and pin them in kiln.lock.
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { planBuild } from '../../build/plan.js';
import { baseRequest, lockPath } from '../../debian/base-source.js';
import { packagesFromLock, readLock, requestHash, resolveBase, writeLock, type LockedBase } from '../../debian/lock.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';
import { progressLogger } from '../progress.js';

export const command: Command = {
  summary: 'Resolve the distro packages of every image and pin them (name, version, sha256, size) in kiln.lock.',
  usage: 'kiln lock [DIR|FILE] [-f kiln.yaml] [--update]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { file: { type: 'string', short: 'f' }, update: { type: 'boolean', default: false } },
    });
    if (positionals.length > 1) throw new UsageError(`lock takes one directory, got ${positionals.length}`);
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, cwd: context.cwd, env: context.env });
    const path = lockPath(dirname(manifestFile));
    const lock = await readLock(path);
    const progress = progressLogger(context);
    const bases = { ...(values.update ? {} : lock.bases) };
    let changed = 0;
    const resolved = new Map<string, LockedBase>();
    for (const image of plan.images) {
      if (image.base.kind !== 'distro') continue;
      const request = baseRequest(image.base.spec, image.platform.architecture);
      const existing = bases[image.name];
      if (existing) {
        try {
          packagesFromLock(existing, request, image.name);
          continue;
        } catch {
          // Stale: resolve again below.
        }
      }
      // Matrix entries often share a base: resolve each distinct request once per run.
      const hash = requestHash(request);
      const twin = resolved.get(hash);
      if (!twin) progress.log(`${image.name}: resolving ${request.distro} ${request.release} ${request.architecture}`);
      bases[image.name] = twin ?? (await resolveBase(request, { store: context.cache() }));
      resolved.set(hash, bases[image.name]!);
      changed++;
    }
    // Entries for images that no longer exist are dropped.
    const names = new Set(plan.images.map((image) => image.name));
    for (const name of Object.keys(bases)) if (!names.has(name)) delete bases[name];
    await writeLock(path, { version: 1, bases });
    progress.done();
    for (const [name, base] of Object.entries(bases).sort()) {
      context.stdout.write(`${name}: ${base.distro} ${base.release} ${base.architecture} ${base.variant}, ${base.packages.length} packages\n`);
    }
    context.stdout.write(`${path}: ${changed} base(s) resolved\n`);
    return 0;
  },
};
