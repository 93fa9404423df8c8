// kiln.yaml names a keyring with a different key than the one that signed the mirror.
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['hello-tool'], keyring: 'stranger' });
}
