// kiln validate IMAGE...: re-check every digest, size and diffId of images at their places.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { readImage } from '../../places/index.js';
import { validateImage } from '../../oci/validate.js';
import { UsageError } from '../../errors.js';
import { formatBytes } from '../progress.js';

export const command: Command = {
  summary: 'Re-check every digest, size and diffId of an image (oci:, docker-archive: or docker:// place).',
  usage: 'kiln validate IMAGE...',
  async run(args, context) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length === 0) throw new UsageError('validate needs at least one image place');
    for (const place of positionals) {
      const image = await readImage(place, { store: context.cache(), env: context.env });
      const report = await validateImage(image, place);
      context.stdout.write(`${place}: ok ${report.digest} (${report.layers} layers, ${formatBytes(report.bytesChecked)} checked)\n`);
    }
    return 0;
  },
};
