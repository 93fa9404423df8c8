import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { formatJsonSchema, kilnJsonSchema } from './json-schema.js';

test('schema/kiln.schema.json is up to date (regenerate: node --import tsx scripts/json-schema.ts)', async () => {
  const checkedIn = await readFile(new URL('../../schema/kiln.schema.json', import.meta.url), 'utf8');
  assert.ok(checkedIn === formatJsonSchema(), 'schema/kiln.schema.json is stale: run node --import tsx scripts/json-schema.ts');
});

test('the JSON Schema is strict and knows the manifest keys editors complete', () => {
  const schema = kilnJsonSchema() as { additionalProperties: boolean; properties: Record<string, { additionalProperties?: { additionalProperties?: boolean; properties?: Record<string, unknown> } }> };
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties).sort(), ['defaults', 'images', 'presets', 'registries', 'sources', 'vars', 'version', 'version_file']);
  const image = schema.properties.images!.additionalProperties!;
  assert.equal(image.additionalProperties, false);
  for (const key of ['extends', 'matrix', 'include', 'exclude', 'overrides', 'tags', 'publish', 'immutable_tags', 'base', 'python', 'entrypoint']) {
    assert.ok(key in image.properties!, `images.*.${key}`);
  }
});
