// The native backend: kiln assembles the image itself (no daemon, no privileges).
import { assembleImage, reportImage } from '../apply/build-image.js';
import type { Backend } from './types.js';

/** native wraps assembleImage. */
export const native: Backend = {
  name: 'native',
  async build(plan, context) {
    const image = await assembleImage(plan, context.manifestFile, context);
    return { image, report: await reportImage(plan.name, image, [], context.store) };
  },
};
