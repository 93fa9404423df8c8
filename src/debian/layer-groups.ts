// defaultLayerGroups: split a package set into layers that other images are likely to share unchanged.
//
// The split is: the C runtime and the core files every Debian base needs (distroless' static + cc set),
// then Python's own packages, then everything else (the libraries Python links against). A Python
// patch release then changes one layer, and images with the same core share its blob.

const CORE = new Set([
  'base-files', 'netbase', 'tzdata', 'media-types', 'mime-support', 'ca-certificates',
  'libc6', 'libgcc-s1', 'libstdc++6', 'libgomp1', 'libssl3', 'libssl3t64', 'openssl', 'zlib1g', 'libcrypt1',
]);

/** LayerGroup names a layer and the packages it holds, in install order. */
export interface LayerGroup {
  name: string;
  packages: string[];
}

/** isCorePackage tells whether a package belongs to the shared core layer. */
export function isCorePackage(name: string): boolean {
  return CORE.has(name) || /^gcc-\d+-base$/.test(name);
}

/** isPythonPackage tells whether a package is part of the Python interpreter layer. */
export function isPythonPackage(name: string): boolean {
  return /^(lib)?python3(\.\d+)?(-minimal|-stdlib)?$/.test(name);
}

/** defaultLayerGroups gives core, python and rest groups (empty groups left out), keeping the input order within each. */
export function defaultLayerGroups(names: readonly string[]): LayerGroup[] {
  const groups: LayerGroup[] = [
    { name: 'core', packages: names.filter(isCorePackage) },
    { name: 'python', packages: names.filter((name) => !isCorePackage(name) && isPythonPackage(name)) },
    { name: 'rest', packages: names.filter((name) => !isCorePackage(name) && !isPythonPackage(name)) },
  ];
  return groups.filter((group) => group.packages.length > 0);
}
