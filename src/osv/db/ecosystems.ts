// OSV's names for the ecosystems kiln scans, and where their exports live: the bucket keeps one folder per
// ecosystem as OSV spells it (`Ubuntu:24.04:LTS`), while kiln's inventory names the release alone (`Ubuntu:24.04`).
import { UsageError } from '../../errors.js';
import { ecosystemId, parseEcosystem } from '../match.js';

/** DEFAULT_OSV_URL is where OSV publishes its per-ecosystem exports (`<url>/<Ecosystem>/all.zip`). */
export const DEFAULT_OSV_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

/**
 * exportName is the folder OSV publishes an ecosystem's export under: Ubuntu's LTS releases (April of an even
 * year) carry `:LTS`, everything else is spelt as given.
 */
export function exportName(ecosystem: string): string {
  const parsed = parseEcosystem(ecosystem);
  if (!parsed || parsed.variant) throw new UsageError(`"${ecosystem}" is not an ecosystem kiln scans (PyPI, Debian:<release>, Ubuntu:<release>)`);
  if (parsed.family === 'Ubuntu') {
    const [year, month] = parsed.release.split('.').map(Number) as [number, number];
    return month === 4 && year % 2 === 0 ? `Ubuntu:${parsed.release}:LTS` : `Ubuntu:${parsed.release}`;
  }
  return parsed.family === 'PyPI' ? 'PyPI' : `${parsed.family}:${parsed.release}`;
}

/** exportUrl is the address of an ecosystem's all.zip under a base URL (OSV's bucket or a mirror of it). */
export function exportUrl(baseUrl: string, ecosystem: string): string {
  // Colons are legal in a path segment, and static mirrors store the folders under their plain names.
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(exportName(ecosystem)).replace(/%3A/g, ':')}/all.zip`;
}

/** sameEcosystem tells whether two spellings name one ecosystem (`Ubuntu:24.04` and `Ubuntu:24.04:LTS`). */
export function sameEcosystem(a: string, b: string): boolean {
  const [x, y] = [ecosystemId(a), ecosystemId(b)];
  return x !== undefined && x === y;
}
