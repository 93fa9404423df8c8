// kiln validate IMAGE...: re-check every digest, size and diffId of images at their places.
import { defineCommand } from '../command.js';
import { readImageOrIndex } from '../../places/index.js';
import { isImageIndex } from '../../oci/image-index.js';
import { validateImage } from '../../oci/validate.js';
import { formatBytes } from '../progress.js';
import { jsonOption } from '../options.js';
import type { ValidateJson } from '../json-shapes.js';

export const command = defineCommand({
  summary: 'Re-check every digest, size and diffId of an image (oci:, docker-archive: or docker:// place); an image index in an oci: layout has every platform checked. --json prints a ValidateJson list.',
  usage: 'kiln validate IMAGE... [--json]',
  arguments: [{ name: 'IMAGE', required: true, variadic: true, description: 'an image place: oci:PATH[:TAG], docker-archive:PATH, docker://REF' }],
  options: {
    ...jsonOption,
  },
  async run(values, positionals, context) {
    const reports: ValidateJson = [];
    for (const place of positionals) {
      const image = await readImageOrIndex(place, { store: context.cache(), env: context.env });
      // An index is as good as its children: every platform's image is checked, each under its own name.
      const children = isImageIndex(image) ? await image.children() : [];
      const report = { digest: await image.digest(), layers: 0, bytesChecked: 0 };
      for (const { platform, image: child } of children) {
        const checked = await validateImage(child, `${place} (${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''})`);
        report.layers += checked.layers;
        report.bytesChecked += checked.bytesChecked;
      }
      if (!isImageIndex(image)) Object.assign(report, await validateImage(image, place));
      reports.push({ place, ...report, ...(children.length ? { platforms: children.length } : {}) });
      if (!values.json) context.stdout.write(`${place}: ok ${report.digest} (${children.length ? `index of ${children.length} platforms, ` : ''}${report.layers} layers, ${formatBytes(report.bytesChecked)} checked)\n`);
    }
    if (values.json) context.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return 0;
  },
});
