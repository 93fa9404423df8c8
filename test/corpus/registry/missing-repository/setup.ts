// A fresh, empty registry: the base's repository is not there.
import { startRegistry } from '../../../../src/testing/registry.js';
import type { CaseContext, CaseSetup } from '../../case.js';

export default async function setup(_context: CaseContext): Promise<CaseSetup> {
  const registry = await startRegistry();
  return { vars: { registry: registry.host }, close: () => registry.stop() };
}
