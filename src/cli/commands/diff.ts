// kiln diff A B [--json]: what changed between two images (any places, or two kiln entries' last builds): layers,
// Debian and Python packages, files (by size, mode and content digest) and runtime config.
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { openTarget } from '../image-target.js';
import { jsonOption, manifestOptions } from '../options.js';

export const command = defineCommand({
  summary: 'Compare two images: layers shared, removed and added (by diffId); Debian and Python packages added, removed, upgraded or downgraded; files added, removed or modified (size, mode, content sha256, type, link target) with their sizes; runtime config changes (entrypoint, cmd, user, workdir, each env variable, label and port, platform). A and B are image places (oci:, docker-archive:, docker://) or DIR/ENTRY. --json prints the ImageDiff document with every file; the text lists the biggest.',
  usage: 'kiln diff A B [--files N] [--json]',
  arguments: [
    { name: 'A', required: true, description: 'the image before: a place or DIR/ENTRY' },
    { name: 'B', required: true, description: 'the image after: a place or DIR/ENTRY' },
  ],
  options: {
    ...jsonOption,
    files: { type: 'string', default: '30', value: 'N', description: 'how many changed files the text lists (--json lists all)' },
    set: manifestOptions.set,
  },
  async run(values, positionals, context) {
    const fileLimit = Number(values.files);
    if (!Number.isInteger(fileLimit) || fileLimit < 0) throw new UsageError(`--files ${values.files}: expected a whole number`);
    const [{ inspectImage }, { diffImages }] = await Promise.all([import('../../inspect/image-summary.js'), import('../../inspect/diff.js')]);
    const read = async (text: string) => {
      const target = await openTarget(text, context);
      return inspectImage(target.image, { name: target.name, digests: true });
    };
    const a = await read(positionals[0]!);
    const b = await read(positionals[1]!);
    const diff = diffImages(a, b);
    if (values.json) context.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
    else context.stdout.write((await import('../../inspect/format.js')).formatDiff(diff, fileLimit));
    return 0;
  },
});
