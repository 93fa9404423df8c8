// kiln context push [DIR] REF: pack exactly the inputs the pinned plan needs into an OCI artifact, push it by
// digest and print REF@sha256:..., which `kiln build --context` builds from on any machine (a cluster pod).
import { resolve } from 'node:path';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { planBuild, readPlanFile, selectEntries, type BuildPlan } from '../../plan/index.js';
import { UsageError } from '../../errors.js';
import { formatBytes, progressLogger } from '../progress.js';
import { manifestPath } from './build.js';
import { jsonOption, manifestOptions, onlyOption, quietOption } from '../options.js';

const USAGE = 'kiln context push [DIR|FILE] REF [-f kiln.yaml | --plan plan.json] [--only NAME|GLOB]... [--json] [--quiet]';

// As `kiln plan --locked`: kiln.lock must pin every base already, and nothing is written to it.
async function lockedPlan(manifestFile: string, only: string[] | undefined, quiet: boolean, context: CommandContext): Promise<BuildPlan> {
  const progress = progressLogger(context, quiet);
  const intent = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, only, store: context.cache(), locked: true, log: progress.log });
  const { resolvePlan } = await import('../../resolve/index.js');
  const resolved = await resolvePlan(intent, { store: context.cache(), env: context.env, locked: true, writeLock: false, log: progress.log });
  progress.done();
  return resolved.plan;
}

export const command = defineCommand({
  summary: 'Push the build context of a pinned plan as an OCI artifact (artifactType application/vnd.kiln.context.v1): the plan and exactly the files it needs (app folders after .dockerignore, locks, find_links wheels, path dependencies, synced sources), every one checked against the plan\'s pins. Planned like kiln plan --locked, or from --plan. Prints REF@sha256:..., for kiln build --context.',
  usage: USAGE,
  arguments: [
    { name: 'VERB', required: true, choices: ['push'], description: 'push' },
    { name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' },
    { name: 'REF', description: 'the repository to push to (host/repo[:tag])' },
  ],
  options: {
    ...manifestOptions,
    plan: { type: 'string', value: 'FILE', description: 'pack the entries of a plan file (kiln plan --json)' },
    ...onlyOption,
    ...jsonOption,
    ...quietOption,
  },
  async run(values, positionals, context) {
    const rest = positionals.slice(1);
    if (rest.length < 1) throw new UsageError(`error: missing required argument 'REF': ${USAGE}`);
    const reference = rest.at(-1)!;
    const directory = rest.length === 2 ? rest[0] : undefined;
    if (values.plan && (directory || values.file || context.overrides)) throw new UsageError('--plan packs the plan file\'s entries: give no directory or -f with it');
    let plan: BuildPlan;
    if (values.plan) {
      const file = await readPlanFile(resolve(context.cwd, values.plan));
      plan = { ...file, images: selectEntries(file.images, values.only) };
    } else {
      plan = await lockedPlan(await manifestPath(directory, context.cwd, values.file), values.only, values.quiet || values.json, context);
    }
    const { pushContext } = await import('../../context/index.js');
    const pushed = await pushContext(plan, reference, { store: context.cache(), env: context.env });
    if (values.json) context.stdout.write(`${JSON.stringify(pushed, null, 2)}\n`);
    else {
      context.stdout.write(`${pushed.reference}\n`);
      if (!values.quiet) context.stderr.write(`kiln: context of ${pushed.entries.length} entr${pushed.entries.length === 1 ? 'y' : 'ies'} (${pushed.entries.join(', ')}): ${pushed.files} files, ${formatBytes(pushed.bytes)}, ${formatBytes(pushed.size)} in the registry\n`);
    }
    return 0;
  },
});
