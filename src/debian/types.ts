// Types shared by the apt side (repositories, resolver, lock) and the assembly side (.deb -> layers).
import type { PinnedDebPackage } from '../plan/types.js';

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

/**
 * ResolvedPackage is one binary package chosen by the resolver: what a plan pins (name, version, pool file,
 * sha256, size, source, mirror) plus its stanza from the Packages index.
 */
export interface ResolvedPackage extends PinnedDebPackage {
  /** control holds the package's stanza from the Packages index, in its original order. */
  control: Array<[field: string, value: string]>;
}
