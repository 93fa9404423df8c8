// kiln dockerfile [DIR] [--only GLOB] [-o generated/]: a multi-stage Dockerfile and its context per entry.
import { parseArgs } from 'node:util';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from '../command.js';
import { planBuild } from '../../plan/index.js';
import { writeDockerContext } from '../../dockerfile/context.js';
import { DEFAULT_SYNTAX } from '../../dockerfile/generate.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';

/** globMatcher matches entry names against a shell-style glob (`*`, `?`). */
export function globMatcher(glob: string): (name: string) => boolean {
  const pattern = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => pattern.test(name);
}

export const command: Command = {
  summary: 'Write a multi-stage Dockerfile, its build context and context.txt for each image of kiln.yaml.',
  usage: 'kiln dockerfile [DIR|FILE] [-f kiln.yaml] [--only GLOB] [-o generated/] [--base-image REF] [--no-syntax]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        file: { type: 'string', short: 'f' },
        only: { type: 'string' },
        'base-image': { type: 'string' },
        'no-syntax': { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1) throw new UsageError(`dockerfile takes one directory, got ${positionals.length}`);
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, cwd: context.cwd, env: context.env, store: context.cache() });
    const wanted = values.only ? globMatcher(values.only) : () => true;
    const images = plan.images.filter((image) => wanted(image.name));
    if (images.length === 0) throw new UsageError(`no image matches --only ${values.only} (there are: ${plan.images.map((image) => image.name).join(', ')})`);
    // The generator consumes pinned data: apt versions and Python packages come from the resolved plan.
    const { resolvePlan } = await import('../../resolve/index.js');
    const pinned = (await resolvePlan({ ...plan, images }, { store: context.cache(), env: context.env })).plan.images;
    const manifestDir = dirname(plan.manifestFile);
    const outDir = values.output ? resolve(context.cwd, values.output) : join(manifestDir, 'generated');
    for (const image of pinned) {
      const result = await writeDockerContext(image, join(outDir, image.name), {
        manifestDir,
        store: context.cache(),
        syntax: values['no-syntax'] ? null : DEFAULT_SYNTAX,
        ...(values['base-image'] ? { baseImage: values['base-image'] } : {}),
      });
      context.stdout.write(`${image.name} -> ${relative(context.cwd, result.dir) || '.'}/Dockerfile (${result.contextFiles.length} files)\n`);
    }
    return 0;
  },
};
