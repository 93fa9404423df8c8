// One byte of libhello.deb is flipped after the index was written.
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['hello-tool'], damage: (repo) => repo.tamperDeb('libhello') });
}
