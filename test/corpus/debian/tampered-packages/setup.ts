// Every Packages variant of bookworm main/amd64 is changed after Release was signed.
import type { CaseContext, CaseSetup } from '../../case.js';
import { aptCase } from '../../debian-repo.js';

export default function setup({ dir }: CaseContext): Promise<CaseSetup> {
  return aptCase(dir, { wanted: ['hello-tool'], damage: (repo) => repo.tamperPackages('amd64', 'main', 'bookworm') });
}
