// The only tinyformat wheel is built for CPython 3.12; the base has Python 3.11.
import { buildWheel, wheelFilename } from '../../../../src/testing/wheels.js';
import type { CaseContext } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const spec = { ...TINY_WHEEL, tag: 'cp312-cp312-manylinux_2_17_x86_64' };
  await writeLockedWheel(dir, buildWheel(spec), { filename: wheelFilename(spec) });
}
