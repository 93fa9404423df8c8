// A registry port that accepts TCP connections and never sends a byte: kiln must time out, not hang.
import type { CaseContext, CaseSetup } from '../../case.js';
import { silentServer } from '../../shared.js';

export default async function setup(_context: CaseContext): Promise<CaseSetup> {
  const server = await silentServer();
  return { vars: { port: String(server.port) }, close: server.close };
}
