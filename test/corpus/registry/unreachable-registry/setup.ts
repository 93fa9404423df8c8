// The base's registry is a loopback port nothing listens on.
import { freePort } from '../../../../src/testing/registry.js';
import type { CaseContext, CaseSetup } from '../../case.js';

export default async function setup(_context: CaseContext): Promise<CaseSetup> {
  return { vars: { port: String(await freePort()) } };
}
