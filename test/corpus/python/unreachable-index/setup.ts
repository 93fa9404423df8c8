// The index URL points at a port nothing listens on; the lock itself is fine.
import { freePort } from '../../../../src/testing/registry.js';
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext, CaseSetup } from '../../case.js';
import { TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  await writeLockedWheel(dir, buildWheel(TINY_WHEEL));
  return { vars: { port: String(await freePort()) } };
}
