// testImagePlan: an ImagePlan from an object literal, with neutral defaults for every field a test does not care about.
import type { ImagePlan } from '../plan/index.js';

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
