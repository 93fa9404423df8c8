// kiln why PACKAGE [PLACE|DIR[/ENTRY]] [--json]: the dependency chains that pulled a Debian or Python package into an
// image, and what removing it would save, worked out from the image's own package metadata.
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { openTarget } from '../image-target.js';
import { jsonOption, manifestOptions } from '../options.js';

export const command = defineCommand({
  summary: 'Explain why a Debian or Python package is in an image: the shortest dependency chains from each root (what the plan requested, or what nothing else depends on) to it, the packages that require it directly, its installed size and what removing it would save (it and every package only it pulls in). Debian Depends/Pre-Depends with alternatives and Provides come from the dpkg status or status.d; Python Requires-Dist with markers (for the image\'s Python) and extras from dist-info METADATA. --json prints the WhyResult list.',
  usage: 'kiln why PACKAGE [PLACE|DIR[/ENTRY]] [--chains N] [--json]',
  arguments: [
    { name: 'PACKAGE', required: true, description: 'a Debian or Python package name' },
    { name: 'PLACE|DIR[/ENTRY]', description: 'an image place or a kiln.yaml entry\'s last build (default .)' },
  ],
  options: {
    ...jsonOption,
    chains: { type: 'string', default: '5', value: 'N', description: 'how many chains to show per root' },
    set: manifestOptions.set,
  },
  async run(values, positionals, context) {
    const limit = Number(values.chains);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--chains ${values.chains}: expected a positive whole number`);
    const target = await openTarget(positionals[1], context);
    const [{ inspectImage }, { debianGraph, pythonGraph, why }] = await Promise.all([import('../../inspect/image-summary.js'), import('../../inspect/why.js')]);
    const { summary, packages } = await inspectImage(target.image, { name: target.name });
    const options = {
      architecture: summary.platform.architecture,
      ...(summary.platform.variant ? { variant: summary.platform.variant } : {}),
      ...(target.entry ? { requested: target.entry.requested } : {}),
    };
    const results = why(positionals[0]!, [debianGraph(packages, options), pythonGraph(packages, options)], target.name, limit);
    if (values.json) context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else context.stdout.write((await import('../../inspect/format.js')).formatWhy(results));
    return 0;
  },
});
