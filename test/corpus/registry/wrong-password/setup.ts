// An htpasswd registry and a docker config ($DOCKER_CONFIG) holding a wrong password for it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry } from '../../../../src/testing/registry.js';
import type { CaseContext, CaseSetup } from '../../case.js';

export default async function setup({ dir }: CaseContext): Promise<CaseSetup> {
  const registry = await startRegistry({ auth: 'htpasswd', user: 'corpus', password: 'the-right-one' });
  const auth = Buffer.from('corpus:wr0ng-corpus-pw').toString('base64');
  await mkdir(join(dir, 'docker'), { recursive: true });
  await writeFile(join(dir, 'docker', 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  return { vars: { registry: registry.host }, env: { DOCKER_CONFIG: join(dir, 'docker') }, close: () => registry.stop() };
}
