// A copy of the shared layout whose config names another diff_id for its one layer (manifest and index
// re-digested, so only the diff_id lies). umoci rejects an image built on it; kiln must refuse the base.
import { join } from 'node:path';
import { sha256 } from '../../../../src/oci/digest.js';
import type { CaseContext } from '../../case.js';
import { copyPythonBase, editLayoutConfig } from '../../shared.js';

export default async function setup({ dir, shared }: CaseContext): Promise<void> {
  await copyPythonBase(shared, join(dir, 'base'));
  await editLayoutConfig(join(dir, 'base'), (config) => {
    config.rootfs.diff_ids = [sha256('some other layer')];
  });
}
