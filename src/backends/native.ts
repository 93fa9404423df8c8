// The native backend: kiln assembles the image itself (no daemon) and writes it to the entry's outputs.
import { assembleImage, reportImage } from '../build/build-image.js';
import { writeImage } from '../places/index.js';
import '../build/register-bases.js';
import type { Backend } from './types.js';

/** native wraps assembleImage. */
export const native: Backend = {
  name: 'native',
  async build(plan, context) {
    const image = await assembleImage(plan, context.manifestFile, context);
    for (const output of plan.outputs) {
      context.log(`${plan.name}: writing ${output}`);
      await writeImage(output, image, { store: context.store, env: context.env, defaultName: plan.name });
    }
    return { report: await reportImage(plan.name, image, plan.outputs, context.store) };
  },
};
