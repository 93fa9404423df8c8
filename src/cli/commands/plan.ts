// kiln plan [DIR] [--json] [--only GLOB]: every entry with its resolved inputs, tags and destinations, without building.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { planBuild, type BaseRef, type ImagePlan } from '../../build/plan.js';
import { UsageError } from '../../errors.js';
import { redact, redactDeep } from '../../http/redact.js';
import { manifestPath } from './build.js';

function describeBase(base: BaseRef): string {
  if (base.kind === 'scratch') return 'scratch';
  if (base.kind === 'place') return base.place;
  return `${base.spec.distro}/${base.spec.release} ${base.spec.variant} [${base.spec.packages.join(' ')}]`;
}

function describeEntry(image: ImagePlan): string {
  const lines = [image.name];
  const axes = Object.entries(image.entry).map(([axis, value]) => `${axis}=${value}`).join(' ');
  if (axes) lines.push(`  matrix: ${axes}`);
  lines.push(`  base: ${describeBase(image.base)}  ${image.platform.os}/${image.platform.architecture}`);
  if (image.app) lines.push(`  app: ${image.app.dir} -> ${image.app.dest}`);
  if (image.python) lines.push(`  python: ${image.python.project} -> ${image.python.prefix}`);
  const command = [...(image.runtime.Entrypoint ?? []), ...(image.runtime.Cmd ?? [])];
  if (command.length) lines.push(`  command: ${command.join(' ')}`);
  lines.push(`  tags: ${image.tags.join(' ')}${image.immutableTags ? ' (immutable)' : ''}${image.scan ? '' : '  scan: off'}`);
  for (const output of image.outputs) lines.push(`  -> ${output}`);
  for (const destination of image.destinations) {
    for (const reference of destination.references) lines.push(`  -> ${reference}${destination.skipped ? `  (skipped: ${destination.skipped})` : ''}`);
  }
  if (!image.publish) lines.push('  not published');
  return lines.join('\n');
}

export const command: Command = {
  summary: 'Print every entry of kiln.yaml (matrices expanded) with its resolved inputs, tags and destinations, without building.',
  usage: 'kiln plan [DIR|FILE] [-f kiln.yaml] [-o DEST]... [--only NAME|GLOB]... [--json]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o', multiple: true },
        only: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1) throw new UsageError(`plan takes one directory, got ${positionals.length}`);
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, outputs: values.output, cwd: context.cwd, env: context.env, only: values.only });
    if (values.json) {
      context.stdout.write(`${JSON.stringify(redactDeep(plan), null, 2)}\n`);
      return 0;
    }
    for (const notice of plan.notices) context.stderr.write(`kiln: ${redact(notice)}\n`);
    context.stdout.write(redact(plan.images.map(describeEntry).join('\n')) + '\n');
    context.stdout.write(`${plan.images.length} entr${plan.images.length === 1 ? 'y' : 'ies'}\n`);
    return 0;
  },
};
