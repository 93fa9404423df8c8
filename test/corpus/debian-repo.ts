// The Debian cases' mirror: a local signed apt repository (src/testing/apt-repo.ts) with the release,
// -updates and -security suites kiln reads, the stand-ins the distroless variant always adds, and a
// few packages to break. aptCase builds it, optionally damages it, and writes the case's kiln.yaml.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAptRepo, type AptRepo, type AptRepoPackage } from '../../src/testing/apt-repo.js';
import { handMadeDeb } from '../../src/testing/deb-file.js';
import type { CaseSetup } from './case.js';

// The distroless variant always adds these; empty stand-ins are enough.
const STANDINS: AptRepoPackage[] = ['base-files', 'ca-certificates', 'netbase', 'tzdata']
  .map((name) => ({ name, version: '1.0', files: { [`usr/share/doc/${name}/copyright`]: 'test\n' } }));

async function packages(): Promise<AptRepoPackage[]> {
  return [
    ...STANDINS,
    { name: 'hello-tool', version: '1.0', depends: 'libhello (>= 1.0)', files: { 'usr/bin/hello-tool': { data: '#!/bin/true\n', mode: 0o755 } } },
    { name: 'libhello', version: '1.0', files: { 'usr/lib/libhello.so.1': 'lib' } },
    { name: 'greedy-tool', version: '1.0', depends: 'libhello (>= 2.0)' },
    { name: 'evil-tool', version: '1.0', deb: await handMadeDeb('evil-tool', [{ name: './usr/../../etc/evil', data: 'x' }]) },
  ];
}

/** AptCaseOptions: what to install, and how the repository or the manifest is wrong. */
export interface AptCaseOptions {
  wanted: string[];
  signed?: boolean;
  /** damage runs after the repository is signed (tamper with an index, a .deb, InRelease). */
  damage?: (repo: AptRepo) => Promise<void>;
  /** keyring: 'stranger' verifies with a key that did not sign the repository. */
  keyring?: 'own' | 'stranger';
  /** mirror replaces the repository's URL in kiln.yaml (e.g. a closed port). */
  mirror?: string;
  /** components are written as the base's `components:` when given. */
  components?: string[];
}

async function makeRepo(signed: boolean): Promise<AptRepo> {
  return createAptRepo({
    suite: 'bookworm',
    codename: 'bookworm',
    packages: await packages(),
    signed,
    suites: [{ suite: 'bookworm-updates', codename: 'bookworm', packages: [] }, { suite: 'bookworm-security', codename: 'bookworm-security', packages: [] }],
  });
}

// Building a repository (dpkg-deb, gpg) is the slow part, so cases that do not damage it share one.
let intact: Promise<AptRepo> | undefined;

/** closeSharedAptRepo stops the shared repository, if a case started it. */
export async function closeSharedAptRepo(): Promise<void> {
  const repo = intact;
  intact = undefined;
  await (await repo)?.close();
}

/** aptCase serves a signed repository, writes dir/kiln.yaml for a distroless bookworm base from it, and returns its cleanup. */
export async function aptCase(dir: string, options: AptCaseOptions): Promise<CaseSetup> {
  const own = options.damage !== undefined || options.signed === false;
  const repo = own ? await makeRepo(options.signed ?? true) : await (intact ??= makeRepo(true));
  await options.damage?.(repo);
  const mirror = options.mirror ?? repo.url;
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  tool:',
    '    base:',
    '      distro: debian',
    '      release: bookworm',
    `      packages: [${options.wanted.join(', ')}]`,
    ...(options.components ? [`      components: [${options.components.join(', ')}]`] : []),
    `      mirror: ${mirror}`,
    `      security_mirror: ${mirror}`,
    `      keyring: ${options.keyring === 'stranger' ? repo.strangerKeyring : repo.keyring}`,
    '    entrypoint: [/usr/bin/hello-tool]',
    '',
  ].join('\n'));
  return own ? { close: () => repo.close() } : {};
}
