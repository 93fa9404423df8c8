// kiln build [DIR] [-o DEST]... [--json]: build the images of DIR/kiln.yaml natively.
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Command } from '../command.js';
import { planBuild } from '../../build/plan.js';
import type { EntryBuilder } from '../../build/build-entries.js';
import { UsageError } from '../../errors.js';
import { parseJobs, runPlan } from '../run-plan.js';
import type { BuildPlan, ImagePlan } from '../../build/plan.js';
import type { CommandContext } from '../context.js';

/** manifestPath finds kiln.yaml given a directory or a file argument. */
export async function manifestPath(argument: string | undefined, cwd: string, file?: string): Promise<string> {
  if (file) return resolve(cwd, file);
  const target = resolve(cwd, argument ?? '.');
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new UsageError(`${target}: no such file or directory`);
  return info.isDirectory() ? join(target, 'kiln.yaml') : target;
}

/** backendBuilder builds entries with `--backend NAME`; generated contexts go to generated/ beside kiln.yaml. */
async function backendBuilder(name: string, plan: BuildPlan, context: CommandContext): Promise<EntryBuilder> {
  const { loadBackend } = await import('../../backends/index.js');
  const backend = await loadBackend(name);
  const generatedDir = context.env.KILN_GENERATED_DIR ?? join(dirname(plan.manifestFile), 'generated');
  return async (entry: ImagePlan, log) => backend.build(entry, {
    store: context.cache(), env: context.env, log, manifestFile: plan.manifestFile, generatedDir,
    print: (text) => context.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  });
}

export const command: Command = {
  summary: 'Build the images described by kiln.yaml, natively (no Docker daemon, no privileges) or with --backend. Entries build in parallel (--jobs); one failure does not stop the others unless --fail-fast. --push publishes every entry to its registries, writing tags only when all succeeded (unless --partial).',
  usage: 'kiln build [DIR|FILE] [-f kiln.yaml] [-o DEST]... [--only NAME|GLOB]... [--jobs N] [--fail-fast] [--push [--partial]] [--backend native|docker|buildah|kaniko] [--json] [--quiet]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o', multiple: true },
        file: { type: 'string', short: 'f' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        backend: { type: 'string', default: 'native' },
        only: { type: 'string', multiple: true },
        jobs: { type: 'string', short: 'j', default: '2' },
        'fail-fast': { type: 'boolean', default: false },
        push: { type: 'boolean', default: false },
        partial: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1) throw new UsageError(`build takes one directory, got ${positionals.length}`);
    if (values.partial && !values.push) throw new UsageError('--partial only makes sense with --push');
    const jobs = parseJobs(values.jobs);
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, outputs: values.output, cwd: context.cwd, env: context.env, only: values.only });
    for (const image of plan.images) {
      if (image.outputs.length === 0 && !(values.push && image.publish)) {
        throw new UsageError(`${image.name}: no outputs: give -o oci:DIR or docker-archive:FILE, or "outputs" in kiln.yaml`);
      }
    }
    return runPlan(plan, context, {
      jobs,
      failFast: values['fail-fast'],
      push: values.push,
      partial: values.partial,
      json: values.json,
      quiet: values.quiet,
      ...(values.backend !== 'native' ? { builder: await backendBuilder(values.backend!, plan, context) } : {}),
    });
  },
};
