// kiln dockerfile [DIR] [--only GLOB] [-o generated/]: a multi-stage Dockerfile and its context per entry.
import { dirname, join, relative, resolve } from 'node:path';
import { defineCommand } from '../command.js';
import { formatPlatform, planBuild, platformEntries } from '../../plan/index.js';
import { writeDockerContext } from '../../dockerfile/context.js';
import { DEFAULT_SYNTAX } from '../../dockerfile/generate.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';
import { manifestOptions } from '../options.js';

/** globMatcher matches entry names against a shell-style glob (`*`, `?`). */
export function globMatcher(glob: string): (name: string) => boolean {
  const pattern = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => pattern.test(name);
}

export const command = defineCommand({
  summary: 'Write a multi-stage Dockerfile, its build context and context.txt for each image of kiln.yaml.',
  usage: 'kiln dockerfile [DIR|FILE] [-f kiln.yaml] [--only GLOB] [-o generated/] [--base-image REF] [--no-syntax]',
  arguments: [{ name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' }],
  options: {
    output: { type: 'string', short: 'o', value: 'DIR', description: 'where each entry\'s folder goes (default generated/ beside kiln.yaml)' },
    ...manifestOptions,
    only: { type: 'string', value: 'GLOB', description: 'only the entries matching a glob' },
    'base-image': { type: 'string', value: 'REF', description: 'the image the Dockerfile starts FROM instead of the plan\'s base' },
    'no-syntax': { type: 'boolean', default: false, description: 'leave out the # syntax= line' },
  },
  async run(values, positionals, context) {
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, store: context.cache() });
    const wanted = values.only ? globMatcher(values.only) : () => true;
    const images = plan.images.filter((image) => wanted(image.name));
    if (images.length === 0) throw new UsageError(`no image matches --only ${values.only} (there are: ${plan.images.map((image) => image.name).join(', ')})`);
    // The generator consumes pinned data: apt versions and Python packages come from the resolved plan.
    const { resolvePlan } = await import('../../resolve/index.js');
    const pinned = (await resolvePlan({ ...plan, images }, { store: context.cache(), env: context.env })).plan.images;
    const manifestDir = dirname(plan.manifestFile);
    const outDir = values.output ? resolve(context.cwd, values.output) : join(manifestDir, 'generated');
    for (const image of pinned) {
      // Each platform has its own pins (.deb versions, wheels), so a multi-platform entry gets one folder per
      // platform, `generated/<entry>/<os>-<arch>[-<variant>]/`, for `docker build --platform os/arch` each.
      const parts = platformEntries(image);
      const said = new Set<string>();
      for (const part of parts) {
        const platform = parts.length > 1 ? formatPlatform(part.platform) : undefined;
        const dir = platform ? join(outDir, image.name, platform.replaceAll('/', '-')) : join(outDir, image.name);
        const result = await writeDockerContext(part, dir, {
          manifestDir,
          store: context.cache(),
          syntax: values['no-syntax'] ? null : DEFAULT_SYNTAX,
          ...(values['base-image'] ? { baseImage: values['base-image'] } : {}),
        });
        for (const note of result.notes.filter((text) => !said.has(text))) {
          said.add(note);
          context.stderr.write(`kiln: warning: ${note}\n`);
        }
        context.stdout.write(`${image.name}${platform ? ` (${platform}: docker build --platform ${platform})` : ''} -> ${relative(context.cwd, result.dir) || '.'}/Dockerfile (${result.contextFiles.length} files)\n`);
      }
    }
    return 0;
  },
});
