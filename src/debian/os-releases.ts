// The releases kiln knows by codename: their os-release identity, for /etc/os-release and for SBOM purls.
import type { OsRelease } from './effects.js';

/** OS_RELEASES maps `distro/codename` to its os-release fields. */
export const OS_RELEASES: Record<string, OsRelease> = {
  'debian/bookworm': { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  'debian/trixie': { id: 'debian', versionId: '13', codename: 'trixie', prettyName: 'Debian GNU/Linux 13 (trixie)' },
  'ubuntu/noble': { id: 'ubuntu', versionId: '24.04', codename: 'noble', prettyName: 'Ubuntu 24.04 LTS' },
};

/** osReleaseByCodename finds a known release by its codename alone (kiln.lock records only the codename). */
export function osReleaseByCodename(codename: string): OsRelease | undefined {
  return Object.values(OS_RELEASES).find((release) => release.codename === codename);
}
