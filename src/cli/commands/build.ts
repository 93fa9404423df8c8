// kiln build [DIR] [-o DEST]... [--json]: build the images of DIR/kiln.yaml natively.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Command } from '../main.js';
import type { CommandContext } from '../context.js';
import { planBuild } from '../../build/plan.js';
import { buildAll, type ImageReport } from '../../build/build-image.js';
import { UsageError } from '../../errors.js';
import { formatBytes, progressLogger } from '../progress.js';
import '../../build/register-bases.js';
import { buildWithBackend } from '../../backends/build-all.js';

/** manifestPath finds kiln.yaml given a directory or a file argument. */
export async function manifestPath(argument: string | undefined, cwd: string, file?: string): Promise<string> {
  if (file) return resolve(cwd, file);
  const target = resolve(cwd, argument ?? '.');
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new UsageError(`${target}: no such file or directory`);
  return info.isDirectory() ? join(target, 'kiln.yaml') : target;
}

function printHuman(reports: ImageReport[], context: CommandContext): void {
  for (const report of reports) {
    context.stdout.write(`${report.name}  ${report.digest}  ${formatBytes(report.size)} (${formatBytes(report.unpackedSize)} unpacked)\n`);
    for (const layer of report.layers) {
      context.stdout.write(`  ${layer.digest.slice(0, 19)}  ${formatBytes(layer.size).padStart(8)}  ${layer.holds}\n`);
    }
    for (const output of report.outputs) context.stdout.write(`  -> ${output}\n`);
  }
}

export const command: Command = {
  summary: 'Build the images described by kiln.yaml, natively: no Docker daemon, no privileges.',
  usage: 'kiln build [DIR|FILE] [-f kiln.yaml] [-o DEST]... [--backend native|docker|buildah|kaniko] [--json] [--quiet]',
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
      },
    });
    if (positionals.length > 1) throw new UsageError(`build takes one directory, got ${positionals.length}`);
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, outputs: values.output, cwd: context.cwd, env: context.env });
    for (const image of plan.images) {
      if (image.outputs.length === 0) throw new UsageError(`${image.name}: no outputs: give -o oci:DIR or docker-archive:FILE, or "outputs" in kiln.yaml`);
    }
    const progress = progressLogger(context, values.quiet);
    const reports = values.backend === 'native'
      ? await buildAll(plan, { store: context.cache(), env: context.env, log: progress.log })
      : await buildWithBackend(values.backend!, plan, context, progress.log);
    progress.done();
    if (values.json) context.stdout.write(`${JSON.stringify({ images: reports }, null, 2)}\n`);
    else printHuman(reports, context);
    return 0;
  },
};
