// Plans the case (as kiln plan --json would), then edits the app: the plan file pins the folder as it was.
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planBuild, formatPlanFile } from '../../../../src/plan/index.js';
import { resolvePlan } from '../../../../src/resolve/index.js';
import { BlobStore } from '../../../../src/cache/blob-store.js';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  const store = new BlobStore(join(dir, '.cache'));
  const intent = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {}, store });
  const { plan } = await resolvePlan(intent, { store, env: {}, locked: true });
  await writeFile(join(dir, 'plan.json'), formatPlanFile(plan));
  await appendFile(join(dir, 'site/index.txt'), 'edited after planning\n');
}
