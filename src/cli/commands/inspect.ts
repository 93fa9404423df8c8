// kiln inspect PLACE|DIR[/ENTRY] [--json]: an image's config, its layers with sizes and what each holds, and its
// Debian and Python packages with their size and layer, read from the layers (any image) or a kiln entry's last build.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../../errors.js';
import { openTarget } from '../image-target.js';

export const command: Command = {
  summary: 'Show what an image holds: platform, runtime config (entrypoint, cmd, env, user, workdir, labels, ports), each layer with its compressed and unpacked size, biggest folders and packages, and every Debian and Python package with its version, installed size and layer. PLACE is oci:, docker-archive: or docker://; DIR/ENTRY is the last build of a kiln.yaml entry. --json prints the ImageSummary document.',
  usage: 'kiln inspect PLACE|DIR[/ENTRY] [--json]',
  async run(args, context) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    if (positionals.length > 1) throw new UsageError(`inspect takes one image, got ${positionals.length}`);
    const target = await openTarget(positionals[0], context);
    const { inspectImage } = await import('../../inspect/image-summary.js');
    const { summary } = await inspectImage(target.image, { name: target.name });
    const document = target.entry ? { ...summary, entry: target.entry } : summary;
    if (values.json) context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else context.stdout.write((await import('../../inspect/format.js')).formatSummary(summary));
    return 0;
  },
};
