// kiln db update: download the OSV exports the manifest's images need (PyPI and each Debian/Ubuntu release of a
// distro base), or the ecosystems named, into the cache that `kiln scan` reads.
import { stat } from 'node:fs/promises';
import { defineCommand, type OptionValues } from '../command.js';
import { manifestOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';

/** manifestEcosystems lists PyPI and the OSV ecosystem of each distro base in the manifest. */
async function manifestEcosystems(directory: string | undefined, file: string | undefined, context: CommandContext): Promise<string[]> {
  const manifestFile = await manifestPath(directory, context.cwd, file);
  if (!(await stat(manifestFile).catch(() => undefined))) {
    throw new UsageError(`${manifestFile}: no such file: name the ecosystems with --ecosystem (e.g. --ecosystem PyPI --ecosystem Debian:12)`);
  }
  const { planBuild } = await import('../../plan/index.js');
  const { OS_RELEASES } = await import('../../debian/os-releases.js');
  const { osvEcosystem } = await import('../../sbom/inventory.js');
  const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env });
  const ecosystems = new Set(['PyPI']);
  for (const entry of plan.images) {
    if (entry.base.kind !== 'distro') continue;
    const { distro, release } = entry.base.spec;
    const os = OS_RELEASES[`${distro}/${release}`];
    const ecosystem = os && osvEcosystem({ id: os.id, versionId: os.versionId });
    if (!ecosystem) throw new UsageError(`entry "${entry.name}": OSV has no ecosystem kiln knows for ${distro} ${release}`);
    ecosystems.add(ecosystem);
  }
  return [...ecosystems];
}

const OPTIONS = {
  ...manifestOptions,
  'base-url': { type: 'string', value: 'URL', description: 'an OSV mirror laid out as <Ecosystem>/all.zip (default $KILN_OSV_URL, else osv.dev\'s)' },
  ecosystem: { type: 'string', multiple: true, value: 'E', description: 'an OSV ecosystem to download (PyPI, Debian:12, Ubuntu:24.04:LTS); repeatable; default what the manifest uses' },
} as const;

async function update(values: OptionValues<typeof OPTIONS>, positionals: string[], context: CommandContext): Promise<number> {
  const { DEFAULT_OSV_URL, exportName } = await import('../../osv/db/ecosystems.js');
  const baseUrl = values['base-url'] ?? context.env.KILN_OSV_URL ?? DEFAULT_OSV_URL;
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`--base-url ${baseUrl}: expected an http(s) URL`);
  const ecosystems = values.ecosystem?.length ? values.ecosystem : await manifestEcosystems(positionals[0], values.file, context);
  for (const ecosystem of ecosystems) exportName(ecosystem);
  const { HttpClient } = await import('../../http/client.js');
  const { updateDatabase } = await import('../../osv/db/update.js');
  const results = await updateDatabase({ baseUrl, ecosystems, client: new HttpClient({ env: context.env, userAgent: `kiln/${context.version}` }), store: context.cache() });
  for (const { status, stored } of results) {
    const mb = (stored.size / 1e6).toFixed(1);
    const when = stored.lastModified ? `, published ${stored.lastModified}` : '';
    context.stderr.write(`${stored.ecosystem}: ${status === 'current' ? 'already current' : 'downloaded'} (${stored.records} records, ${mb} MB${when})\n`);
  }
  return 0;
}

export const command = defineCommand({
  summary: 'Download the OSV vulnerability database kiln scan reads: the all.zip export of PyPI and of each Debian/Ubuntu release the manifest\'s distro bases use (or each --ecosystem), from --base-url or $KILN_OSV_URL (a mirror laid out as <Ecosystem>/all.zip), checked (MD5 from x-goog-hash, every entry\'s CRC) and stored in the cache.',
  usage: 'kiln db update [DIR] [-f kiln.yaml] [--ecosystem E]... [--base-url URL]',
  arguments: [
    { name: 'VERB', required: true, choices: ['update'], description: 'update' },
    { name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' },
  ],
  options: OPTIONS,
  async run(values, positionals, context) {
    return update(values, positionals.slice(1), context);
  },
});
