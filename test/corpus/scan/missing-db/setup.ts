// hello-python's plan and the fixture OSV export.
import type { CaseContext } from '../../case.js';
import { writeScanInputs } from '../../osv-inputs.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeScanInputs(dir);
}
