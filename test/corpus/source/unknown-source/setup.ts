// A real upstream that has no such tag.
import type { CaseContext, CaseSetup } from '../../case.js';
import { makeUpstream } from '../../../../src/testing/git-upstream.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  const upstream = await makeUpstream(`${dir}/.upstream`);
  return { vars: { url: upstream.url } };
}
