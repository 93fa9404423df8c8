// The manifest reads non-free, which the mirror's suites do not have.
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['hello-tool'], components: ['main', 'non-free'] });
}
