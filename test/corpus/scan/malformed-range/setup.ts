// The fixture export plus a zlib record whose range starts with a fixed event.
import type { CaseContext } from '../../case.js';
import { writeScanInputs } from '../../osv-inputs.js';

const BROKEN = {
  id: 'DEBIAN-CVE-2023-99999',
  modified: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1:1.3.dfsg-1' }] }] }],
};

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeScanInputs(dir, [{ name: 'DEBIAN-CVE-2023-99999.json', data: JSON.stringify(BROKEN) }]);
}
