// testImagePlan: an ImagePlan from an object literal, with neutral defaults for every field a test does not care about.
import type { ImagePlan, Pins } from '../plan/index.js';

/** testImagePlan fills in a scratch-based, unpublished plan named `demo`; `overrides` win. */
export function testImagePlan(overrides: Partial<ImagePlan> = {}): ImagePlan {
  return {
    name: 'demo',
    image: 'demo',
    entry: {},
    tags: ['latest'],
    destinations: [],
    publish: false,
    scan: false,
    sbom: true,
    immutableTags: false,
    base: { kind: 'scratch' },
    platform: { os: 'linux', architecture: 'amd64' },
    runtime: {},
    annotations: {},
    created: '1970-01-01T00:00:00Z',
    epoch: 0,
    outputs: [],
    ...overrides,
  };
}

const hex = (c: string): string => c.repeat(64);

/** pinnedServerPlan is a pinned bookworm entry with three .debs, index, URL, path and project wheels and an app: what SBOM tests describe. */
export function pinnedServerPlan(pinned: Partial<Pins> = {}): ImagePlan {
  return testImagePlan({
    name: 'server/3.11',
    pinned: {
      base: {
        kind: 'distro', lockName: 'server', codename: 'bookworm', packages: [
          { name: 'python3.11-minimal', version: '3.11.2-6+deb12u6', architecture: 'amd64', filename: 'pool/main/p/python3.11/python3.11-minimal.deb', sha256: hex('b'), size: 2, source: 'python3.11', mirror: 'http://deb.debian.org/debian' },
          { name: 'libc6', version: '2.36-9+deb12u10', architecture: 'amd64', filename: 'pool/main/g/glibc/libc6.deb', sha256: hex('a'), size: 1, source: 'glibc', mirror: 'http://deb.debian.org/debian' },
          { name: 'tzdata', version: '2025b-0+deb12u1', architecture: 'all', filename: 'pool/main/t/tzdata/tzdata.deb', sha256: hex('c'), size: 3, mirror: 'http://deb.debian.org/debian' },
        ],
      },
      python: {
        target: { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'packages' },
        lock: { path: '/work/poetry.lock', sha256: hex('d') },
        findLinks: [],
        indexUrls: ['https://pypi.org/simple'],
        packages: [
          { name: 'Typing_Extensions', version: '4.12.2', kind: 'index', filename: 'typing_extensions-4.12.2-py3-none-any.whl', sha256: hex('e'), layer: 'python dependencies' },
          { name: 'six', version: '1.16.0', kind: 'url', filename: 'six-1.16.0-py2.py3-none-any.whl', sha256: hex('f'), layer: 'python dependencies', url: 'https://files.example/six-1.16.0-py2.py3-none-any.whl' },
          { name: 'helper-lib', version: '0.1.0', kind: 'path', filename: 'helper_lib-0.1.0-py3-none-any.whl', layer: 'python dependencies', source: { dir: '/work/libs/helper', digest: `sha256:${hex('1')}` } },
          { name: 'server', version: '1.0.0', kind: 'project', filename: 'server-1.0.0-py3-none-any.whl', layer: 'project', source: { dir: '/work', digest: `sha256:${hex('2')}` } },
        ],
      },
      app: { dir: '/work/app', dest: '/app', digest: `sha256:${hex('3')}` },
      ...pinned,
    },
  });
}
