// An index that accepts TCP connections and never sends a byte: kiln must time out, not hang.
import { buildWheel } from '../../../../src/testing/wheels.js';
import type { CaseContext, CaseSetup } from '../../case.js';
import { silentServer, TINY_WHEEL, writeLockedWheel } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  await writeLockedWheel(dir, buildWheel(TINY_WHEEL));
  const server = await silentServer();
  return { vars: { port: String(server.port) }, close: server.close };
}
