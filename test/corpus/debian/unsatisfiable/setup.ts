// greedy-tool needs libhello >= 2.0; the mirror has 1.0.
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['greedy-tool'] });
}
