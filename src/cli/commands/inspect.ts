// kiln inspect PLACE|DIR[/ENTRY] [--json]: an image's config, its layers with sizes and what each holds, and its
// Debian and Python packages with their size and layer, read from the layers (any image) or a kiln entry's last build.
import { defineCommand } from '../command.js';
import { openTarget } from '../image-target.js';
import { jsonOption, manifestOptions } from '../options.js';

export const command = defineCommand({
  summary: 'Show what an image holds: platform, runtime config (entrypoint, cmd, env, user, workdir, labels, ports), each layer with its compressed and unpacked size, biggest folders and packages, and every Debian and Python package with its version, installed size and layer. PLACE is oci:, docker-archive: or docker://; DIR/ENTRY is the last build of a kiln.yaml entry. --json prints the ImageSummary document.',
  usage: 'kiln inspect PLACE|DIR[/ENTRY] [--json]',
  arguments: [{ name: 'PLACE|DIR[/ENTRY]', description: 'an image place (oci:, docker-archive:, docker://) or a kiln.yaml entry\'s last build (default .)' }],
  options: {
    ...jsonOption,
    set: manifestOptions.set,
  },
  async run(values, positionals, context) {
    const target = await openTarget(positionals[0], context);
    const { inspectImage } = await import('../../inspect/image-summary.js');
    const { summary } = await inspectImage(target.image, { name: target.name });
    const document = target.entry ? { ...summary, entry: target.entry } : summary;
    if (values.json) context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else context.stdout.write((await import('../../inspect/format.js')).formatSummary(summary));
    return 0;
  },
});
