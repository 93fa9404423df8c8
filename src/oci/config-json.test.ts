import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeConfig } from './config-json.js';
import type { ImageConfig } from './spec.js';

test('serializeConfig writes a config as Go re-encodes the image-spec structs', () => {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: [], Entrypoint: null, Labels: { b: '2', a: '1' }, WorkingDir: '/srv', User: '65532', ExposedPorts: { '8080/tcp': {} }, Healthcheck: { Test: ['NONE'] } },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [{ created: '2020-01-01T00:00:00.000Z', created_by: '/bin/sh -c a && b > c', empty_layer: false }],
    created: '2020-01-01T00:00:00.500+00:00',
  } as unknown as ImageConfig;
  assert.equal(serializeConfig(config).toString('utf8'), [
    '{"created":"2020-01-01T00:00:00.5Z","architecture":"amd64","os":"linux",',
    '"config":{"User":"65532","ExposedPorts":{"8080/tcp":{}},"WorkingDir":"/srv","Labels":{"a":"1","b":"2"},"Healthcheck":{"Test":["NONE"]}},',
    '"rootfs":{"type":"layers","diff_ids":[]},',
    '"history":[{"created":"2020-01-01T00:00:00Z","created_by":"/bin/sh -c a \\u0026\\u0026 b \\u003e c"}]}',
  ].join(''));
  // A config without a runtime section gets the empty object Go writes for it.
  assert.match(serializeConfig({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }).toString('utf8'), /"os":"linux","config":\{\},"rootfs"/);
});
