// Types shared by the apt side (repositories, resolver, lock) and the assembly side (.deb -> layers).

/** Distro names the apt-based distributions kiln knows presets and keyrings for. */
export type Distro = 'debian' | 'ubuntu';

/** AptSource is one repository: a mirror URL, a suite, components, for one architecture. */
export interface AptSource {
  distro: Distro;
  /** mirror base URL, e.g. http://deb.debian.org/debian */
  mirror: string;
  /** suite or codename, e.g. bookworm, bookworm-updates, noble */
  suite: string;
  components: string[];
  /** keyring: path of an OpenPGP keyring (binary or armored) that must have signed InRelease. */
  keyring: string;
}

/** ResolvedPackage is one binary package chosen by the resolver, with everything needed to fetch and verify it. */
export interface ResolvedPackage {
  name: string;
  version: string;
  architecture: string;
  /** filename is the pool path relative to the mirror, e.g. pool/main/p/python3.11/python3.11_3.11.2-6_amd64.deb */
  filename: string;
  sha256: string;
  size: number;
  /** source package name (and version when it differs), for SBOMs and scanners. */
  source?: string;
  /** mirror the file is fetched from. */
  mirror: string;
  /** control holds the package's stanza from the Packages index, in its original order. */
  control: Array<[field: string, value: string]>;
}
