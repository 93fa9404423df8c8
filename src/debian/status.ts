// dpkgStatusD: the /var/lib/dpkg/status.d/ files distroless images carry so scanners see every package.
//
// Trivy, Grype and syft read /var/lib/dpkg/status.d/<package> (one control stanza each, with a
// `Status: install ok installed` line) and <package>.md5sums (the package's file list with hashes) when an
// image has no /var/lib/dpkg/status. The stanza is the .deb's own control file, so Installed-Size, Source
// and the relations match what was unpacked. The `slim` variant writes dpkg's own database instead
// (/var/lib/dpkg/status plus info/<package>.md5sums), which dpkg-query and apt in derived images read;
// it has no info/<package>.list files, so `dpkg -L` is empty there.
import { InputError } from '../errors.js';
import type { TarEntry } from '../tar/entry.js';
import { controlField, formatControlStanza, type ControlFields } from './control-file.js';

/** StatusDir is where the per-package status files live. */
export const STATUS_DIR = 'var/lib/dpkg/status.d';

/** InstalledPackage is what status.d records about one package. */
export interface InstalledPackage {
  name: string;
  fields: ControlFields;
  /** md5sums as shipped (`<md5>  <path>` lines, paths without a leading slash). */
  md5sums?: string;
}

/** statusStanza is the control stanza with dpkg's Status field placed right after Package, as dpkg orders it. */
export function statusStanza(fields: ControlFields): string {
  const rest = fields.filter(([field]) => field.toLowerCase() !== 'status');
  const at = rest.findIndex(([field]) => field.toLowerCase() === 'package');
  rest.splice(at + 1, 0, ['Status', 'install ok installed']);
  return formatControlStanza(rest);
}

/**
 * filterMd5sums keeps the lines whose file is in the image (`present` takes the path as the package lists it),
 * so a scanner never attributes a trimmed file.
 */
export function filterMd5sums(md5sums: string, present: (path: string) => boolean): string {
  return md5sums.split('\n').filter((line) => {
    const match = /^[0-9a-f]{32} [ *]?(.+)$/.exec(line);
    return match !== null && present(match[1]!.replace(/^\.?\//, ''));
  }).map((line) => `${line}\n`).join('');
}

function textFile(path: string, text: string): TarEntry {
  const data = Buffer.from(text);
  return { path, type: 'file', mode: 0o644, content: { kind: 'buffer', data }, size: data.length };
}

function checkNames(packages: readonly InstalledPackage[]): void {
  const seen = new Set<string>();
  for (const pkg of packages) {
    if (controlField(pkg.fields, 'Package') !== pkg.name) {
      throw new InputError(`package ${pkg.name}: its control file names "${controlField(pkg.fields, 'Package') ?? ''}"`);
    }
    if (seen.has(pkg.name)) throw new InputError(`package ${pkg.name} is listed twice`);
    seen.add(pkg.name);
  }
}

/** dpkgStatusD lists the status.d entries for the packages; each package name must appear once. */
export function dpkgStatusD(packages: readonly InstalledPackage[]): TarEntry[] {
  checkNames(packages);
  const entries: TarEntry[] = [
    { path: 'var/lib/dpkg', type: 'directory', mode: 0o755 },
    { path: STATUS_DIR, type: 'directory', mode: 0o755 },
  ];
  for (const pkg of packages) {
    entries.push(textFile(`${STATUS_DIR}/${pkg.name}`, statusStanza(pkg.fields)));
    if (pkg.md5sums) entries.push(textFile(`${STATUS_DIR}/${pkg.name}.md5sums`, pkg.md5sums));
  }
  return entries;
}

/** dpkgDatabase lists dpkg's own status file and md5sums for the packages, sorted by name as dpkg writes them. */
export function dpkgDatabase(packages: readonly InstalledPackage[]): TarEntry[] {
  checkNames(packages);
  const sorted = [...packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries: TarEntry[] = [
    { path: 'var/lib/dpkg', type: 'directory', mode: 0o755 },
    { path: 'var/lib/dpkg/info', type: 'directory', mode: 0o755 },
    textFile('var/lib/dpkg/status', sorted.map((pkg) => statusStanza(pkg.fields)).join('\n')),
  ];
  for (const pkg of sorted) if (pkg.md5sums) entries.push(textFile(`var/lib/dpkg/info/${pkg.name}.md5sums`, pkg.md5sums));
  return entries;
}
