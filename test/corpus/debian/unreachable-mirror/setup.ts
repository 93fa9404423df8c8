// kiln.yaml points at a port nothing listens on.
import { freePort } from '../../../../src/testing/registry.js';
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['hello-tool'], mirror: `http://127.0.0.1:${await freePort()}/debian` });
}
