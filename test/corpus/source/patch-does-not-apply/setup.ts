// A real upstream and the series written for v0.15.2, asked for at v0.16.0 (which changed the line 0002 changes).
import { cp } from 'node:fs/promises';
import type { CaseContext, CaseSetup } from '../../case.js';
import { makeUpstream } from '../../../../src/testing/git-upstream.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  const upstream = await makeUpstream(`${dir}/.upstream`);
  await cp(upstream.patches, `${dir}/patches`, { recursive: true });
  return { vars: { url: upstream.url } };
}
