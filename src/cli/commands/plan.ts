// kiln plan [DIR] [--json] [--only GLOB] [--locked]: every entry with its inputs resolved and pinned (distro and
// Python packages, base digests, app digest), tags and destinations, without building. --json writes the plan
// file `kiln build --plan` applies.
import { defineCommand } from '../command.js';
import { formatPlanFile, formatPlatform, isMultiPlatform, planBuild, platformEntries, type BaseRef, type BuildPlan, type ImagePlan } from '../../plan/index.js';
import type { LockFile } from '../../debian/lock.js';
import { UsageError } from '../../errors.js';
import { slimPolicy } from '../../debian/slim.js';
import { excludedRequests, variantPackages } from '../../debian/presets.js';
import { redact, redactDeep } from '../../http/redact.js';
import { manifestPath } from './build.js';
import { jsonOption, manifestOptions, onlyOption } from '../options.js';
import { progressLogger } from '../progress.js';

function describeBase(base: BaseRef): string {
  if (base.kind === 'scratch') return 'scratch';
  if (base.kind === 'place') return base.place;
  return `${base.spec.distro}/${base.spec.release} ${base.spec.variant} [${base.spec.packages.join(' ')}]`;
}

// The closure and slim rules a distro base is assembled with, and what the closure left out (with why).
function sizeLines(image: ImagePlan): string[] {
  if (image.base.kind !== 'distro') return [];
  const { closure } = image.base.spec;
  const pinned = image.pinned?.base;
  const slim = (pinned?.kind === 'distro' ? pinned.slim : undefined) ?? slimPolicy(image.base.spec.slim);
  const globs = [...slim.keep.map((glob) => `keep ${glob}`), ...slim.drop.map((glob) => `drop ${glob}`)];
  const lines = [`  slim: ${slim.rules.length ? slim.rules.join(', ') : 'off'}${globs.length ? `; ${globs.join(', ')}` : ''}`];
  const { packages, layers, variant } = image.base.spec;
  const { kept } = variantPackages(variant, [...packages, ...Object.values(layers ?? {}).flat()]);
  if (kept.length) lines.push(`  variant: ${variant} leaves out ${kept.join(', ')}; installed because packages names ${kept.length === 1 ? 'it' : 'them'}`);
  const excluded = excludedRequests(image.base.spec);
  if (excluded.length) lines.push(`  exclude: ${excluded.join(', ')} left out although packages names ${excluded.length === 1 ? 'it' : 'them'}`);
  const omitted = pinned?.kind === 'distro' ? pinned.omitted ?? [] : [];
  lines.push(`  closure: ${closure}${omitted.length ? `, ${omitted.length} ${omitted.length === 1 ? 'package' : 'packages'} left out (name one in packages to keep it):` : ''}`);
  for (const { chain } of omitted) lines.push(`    Omit ${chain.join(' -> ')}`);
  return lines;
}

// Like `apt-get -s`: one Inst line per package, marked when kiln.lock does not have it yet.
function debianLines(image: ImagePlan, lock: LockFile): string[] {
  const pinned = image.pinned?.base;
  if (pinned?.kind !== 'distro') return [];
  const before = lock.bases[pinned.lockName];
  const known = new Map((before?.packages ?? []).map((pkg) => [pkg.name, pkg.version] as const));
  const fresh = pinned.packages.filter((pkg) => known.get(pkg.name) !== pkg.version).length;
  const lines = [`  debian: ${pinned.packages.length} packages${before ? ' (kiln.lock)' : `, ${fresh} new (not in kiln.lock yet)`}`];
  for (const pkg of pinned.packages) {
    const was = known.get(pkg.name);
    const mark = was === pkg.version ? '' : was ? ` [was ${was}]` : ' [new]';
    lines.push(`    Inst ${pkg.name} (${pkg.version} ${pkg.architecture})${mark}`);
  }
  return lines;
}

// Like `poetry install --dry-run`: one line per package, with the layer it lands in.
function pythonLines(image: ImagePlan): string[] {
  const python = image.pinned?.python;
  if (!python) return [];
  const { target } = python;
  const lines = [`  python: ${target.pythonFullVersion} (${target.interpreter}, ${target.libc.kind} ${target.libc.version.join('.')}), ${python.packages.length} packages from ${python.lock.path}`];
  for (const pkg of python.packages) {
    const from = pkg.git ? ` from ${pkg.git.url}@${pkg.git.commit.slice(0, 12)}${pkg.git.subdirectory ? `#${pkg.git.subdirectory}` : ''}` : pkg.source ? ` from ${pkg.source.dir}` : '';
    lines.push(`    - Installing ${pkg.name} (${pkg.version}) ${pkg.filename}${from}  [${pkg.layer}]`);
  }
  return lines;
}

// Sources first: every entry that names one is built from the tree listed here.
function sourceLines(plan: BuildPlan): string[] {
  return (plan.sources ?? []).map((source) => {
    const patches = source.patches.length ? `, ${source.patches.length} patch(es)${source.patches.some((patch) => patch.applied === '3-way') ? ' (some by 3-way merge)' : ''}` : '';
    return `source ${source.name}: ${source.git} ${source.ref} ${source.commit.slice(0, 12)}${source.version ? ` version ${source.version}` : ''}${patches}`;
  });
}

function describeEntry(image: ImagePlan, lock: LockFile): string {
  const lines = [image.name];
  const axes = Object.entries(image.entry).map(([axis, value]) => `${axis}=${value}`).join(' ');
  if (axes) lines.push(`  matrix: ${axes}`);
  // A multi-platform entry lists each platform's pins: its base (the child of a multi-platform base), packages, wheels.
  if (isMultiPlatform(image)) lines.push(`  platforms: ${image.platforms!.map((p) => formatPlatform(p.platform)).join(', ')} (an OCI image index)`);
  for (const part of platformEntries(image)) {
    const pinned = part.pinned?.base;
    const child = pinned?.kind === 'registry' && pinned.imageDigest ? ` (${formatPlatform(part.platform)}: ${pinned.imageDigest})` : '';
    const digest = pinned?.kind === 'registry' ? `  ${pinned.digest}${child}` : pinned?.kind === 'place' ? `  ${pinned.digest}` : '';
    lines.push(`  base: ${describeBase(image.base)}  ${formatPlatform(part.platform)}${digest}`);
    lines.push(...sizeLines(part), ...debianLines(part, lock));
    lines.push(...pythonLines(part));
  }
  const app = platformEntries(image)[0]!.pinned?.app;
  if (app) lines.push(`  app: ${app.dir} -> ${app.dest}  ${app.digest}`);
  // kiln's own outputs under the app folder stay out of the app layer (their paths are relative to it).
  const outputs = (app ?? image.app)?.exclude ?? [];
  if (outputs.length) lines.push(`  app leaves out kiln's outputs: ${outputs.join(', ')}`);
  const command = [...(image.runtime.Entrypoint ?? []), ...(image.runtime.Cmd ?? [])];
  if (command.length) lines.push(`  command: ${command.join(' ')}`);
  lines.push(`  tags: ${image.tags.join(' ')}${image.immutableTags ? ' (immutable)' : ''}${image.scan ? `  scan gate: ${image.scan.severity.join(',')}${image.scan.ignoreUnfixed ? ' (fixed only)' : ''}` : ''}`);
  for (const output of image.outputs) lines.push(`  -> ${output}`);
  for (const destination of image.destinations) {
    for (const reference of destination.references) lines.push(`  -> ${reference}${destination.skipped ? `  (skipped: ${destination.skipped})` : ''}`);
  }
  if (!image.publish) lines.push('  not published');
  return lines.join('\n');
}

export const command = defineCommand({
  summary: 'Resolve every entry of kiln.yaml (matrices expanded) and print its pinned inputs (distro and Python packages, base and app digests), tags and destinations, without building. --json writes the plan file kiln build --plan applies. --no-resolve prints the expanded manifest only (no network, no lock; such a plan cannot be built).',
  usage: 'kiln plan [DIR|FILE] [-f kiln.yaml] [-o DEST]... [--only NAME|GLOB]... [--locked | --no-resolve] [--json]',
  arguments: [{ name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' }],
  options: {
    ...manifestOptions,
    output: { type: 'string', short: 'o', multiple: true, value: 'DEST', description: 'plan every entry to this output instead of its outputs; repeatable' },
    ...onlyOption,
    ...jsonOption,
    locked: { type: 'boolean', default: false, description: 'refuse any input kiln.lock does not pin yet, and write nothing to it' },
    'no-resolve': { type: 'boolean', default: false, description: 'print the expanded manifest only (no network, no lock)' },
  },
  async run(values, positionals, context) {
    if (values['no-resolve'] && values.locked) throw new UsageError('--no-resolve reads no lock: give it without --locked');
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const progress = progressLogger(context, values.json);
    const intent = await planBuild({ manifestFile, overrides: context.overrides, outputs: values.output, cwd: context.cwd, env: context.env, only: values.only, store: context.cache(), locked: values.locked, log: progress.log });
    if (values['no-resolve']) {
      // The manifest as kiln reads it (matrices, tags, destinations), with no network and no lock: for reviewing a
      // fleet's manifest. Such a plan pins nothing, so kiln build --plan refuses it.
      if (values.json) {
        progress.done();
        context.stdout.write(formatPlanFile(redactDeep(intent)));
        return 0;
      }
      progress.done();
      for (const notice of intent.notices) context.stderr.write(`kiln: ${redact(notice)}\n`);
      context.stdout.write(redact(intent.images.map((image) => describeEntry(image, { version: 1, bases: {}, registry: {} })).join('\n')) + '\n');
      context.stdout.write(`${intent.images.length} entr${intent.images.length === 1 ? 'y' : 'ies'}, not resolved (--no-resolve)\n`);
      return 0;
    }
    const { resolvePlan } = await import('../../resolve/index.js');
    const resolved = await resolvePlan(intent, { store: context.cache(), env: context.env, locked: values.locked, log: progress.log });
    progress.done();
    const { plan } = resolved;
    if (values.json) {
      context.stdout.write(formatPlanFile(redactDeep(plan)));
      return 0;
    }
    for (const notice of plan.notices) context.stderr.write(`kiln: ${redact(notice)}\n`);
    context.stdout.write(redact([...sourceLines(plan), ...plan.images.map((image) => describeEntry(image, resolved.lock))].join('\n')) + '\n');
    const added = Object.keys(resolved.added.bases).length + Object.keys(resolved.added.registry).length;
    const sources = Object.keys(resolved.added.sources).length;
    context.stdout.write(`${plan.images.length} entr${plan.images.length === 1 ? 'y' : 'ies'}${added ? `; ${added} base(s) not in kiln.lock yet (kiln lock or kiln build records them)` : ''}${sources ? `; ${sources} source pin(s) not in kiln.lock yet (kiln source sync or kiln build records them)` : ''}\n`);
    return 0;
  },
});
