// The fixture export plus an Alpine record (an ecosystem kiln does not scan).
import type { CaseContext } from '../../case.js';
import { writeScanInputs } from '../../osv-inputs.js';

const ALPINE = {
  id: 'ALPINE-CVE-2023-5363',
  modified: '2024-01-01T00:00:00Z',
  upstream: ['CVE-2023-5363'],
  affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.4-r0' }] }] }],
};

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeScanInputs(dir, [{ name: 'ALPINE-CVE-2023-5363.json', data: JSON.stringify(ALPINE) }]);
}
