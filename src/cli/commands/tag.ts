// kiln tag [DIR] --built NAME@DIGEST...: the last step of a build spread over pods or CI jobs, writing every tag at once.
import { resolve } from 'node:path';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { OutputError, UsageError } from '../../errors.js';
import type { BuildPlan } from '../../plan/index.js';
import { progressLogger } from '../progress.js';
import { jsonOption, manifestOptions, onlyOption, quietOption } from '../options.js';

async function planOf(values: { plan?: string; file?: string; only?: string[]; context?: string }, positionals: string[], context: CommandContext): Promise<BuildPlan> {
  const { planBuild, readPlanFile, selectEntries } = await import('../../plan/index.js');
  if (values.context) {
    // The pods built from this context: its plan names the same entries, tags and registries they pushed to.
    if (positionals.length || values.file || values.plan) throw new UsageError('--context tags the context\'s entries: give no directory, -f or --plan with it');
    const { pullContext } = await import('../../context/index.js');
    const { plan } = await pullContext(values.context, { store: context.cache(), env: context.env });
    return { ...plan, images: selectEntries(plan.images, values.only) };
  }
  if (values.plan) {
    if (positionals.length || values.file) throw new UsageError('--plan tags the plan file\'s entries: give no directory or -f with it');
    const plan = await readPlanFile(resolve(context.cwd, values.plan));
    return { ...plan, images: selectEntries(plan.images, values.only) };
  }
  const { manifestPath } = await import('./build.js');
  const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
  return planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, only: values.only, store: context.cache() });
}

export const command = defineCommand({
  summary: 'Write the tags of entries that kiln build --push-by-digest uploaded (in pods or CI jobs, one per entry): every entry must name its digest with --built, and every manifest must be in every registry, or no tag is written.',
  usage: 'kiln tag [DIR|FILE] [-f kiln.yaml | --plan plan.json | --context REF@sha256:...] [--only NAME|GLOB]... --built NAME@sha256:DIGEST... [--json]',
  arguments: [{ name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' }],
  options: {
    ...manifestOptions,
    plan: { type: 'string', value: 'FILE', description: 'tag the entries of a plan file (kiln plan --json)' },
    context: { type: 'string', value: 'REF@sha256:DIGEST', description: 'tag the entries of a pushed context' },
    ...onlyOption,
    built: { type: 'string', multiple: true, default: [], value: 'NAME@sha256:DIGEST', description: 'what kiln build --push-by-digest printed for an entry; one per entry' },
    ...jsonOption,
    ...quietOption,
  },
  async run(values, positionals, context) {
    const { parseBuiltDigests, tagEntries } = await import('../../apply/tag.js');
    const digests = parseBuiltDigests(values.built ?? []);
    if (digests.size === 0) throw new UsageError('tag needs --built NAME@sha256:DIGEST for each entry (what kiln build --push-by-digest printed)');
    const plan = await planOf(values, positionals, context);
    const progress = progressLogger(context, values.quiet || values.json);
    const results = await tagEntries(plan.images, digests, { env: context.env, log: progress.log });
    progress.done();
    if (values.json) context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else for (const result of results) for (const reference of result.references) context.stdout.write(`${reference}\n`);
    const failed = results.filter((result) => result.status === 'failed');
    if (failed.length) {
      const held = results.every((result) => result.status !== 'tagged') ? '; no tag written' : '';
      throw new OutputError(`tagging failed for ${failed.map((f) => `${f.name} -> ${f.registry}: ${f.message}`).join(', ')}${held}`);
    }
    return 0;
  },
});
