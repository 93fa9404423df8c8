// kiln validate IMAGE...: re-check every digest, size and diffId of images at their places.
import { defineCommand } from '../command.js';
import { readImage } from '../../places/index.js';
import { validateImage } from '../../oci/validate.js';
import { UsageError } from '../../errors.js';
import { formatBytes } from '../progress.js';
import { jsonOption } from '../options.js';
import type { ValidateJson } from '../json-shapes.js';

export const command = defineCommand({
  summary: 'Re-check every digest, size and diffId of an image (oci:, docker-archive: or docker:// place). --json prints a ValidateJson list.',
  usage: 'kiln validate IMAGE... [--json]',
  arguments: [{ name: 'IMAGE', required: true, variadic: true, description: 'an image place: oci:PATH[:TAG], docker-archive:PATH, docker://REF' }],
  options: {
    ...jsonOption,
  },
  async run(values, positionals, context) {
    const reports: ValidateJson = [];
    for (const place of positionals) {
      const image = await readImage(place, { store: context.cache(), env: context.env });
      const report = await validateImage(image, place);
      reports.push({ place, ...report });
      if (!values.json) context.stdout.write(`${place}: ok ${report.digest} (${report.layers} layers, ${formatBytes(report.bytesChecked)} checked)\n`);
    }
    if (values.json) context.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return 0;
  },
});
