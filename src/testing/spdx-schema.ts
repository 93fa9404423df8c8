// spdxSchemaErrors: validation against the vendored official SPDX 2.3 JSON schema (src/sbom/schema), for tests.
import { readFileSync } from 'node:fs';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';

let validate: ValidateFunction | undefined;

/** spdxSchemaErrors lists where a JSON text breaks the SPDX 2.3 schema (`path: message`), or is empty when it is valid. */
export function spdxSchemaErrors(json: string): string[] {
  validate ??= new Ajv2019({ allErrors: true, strict: true }).compile(
    JSON.parse(readFileSync(new URL('../sbom/schema/spdx-2.3.schema.json', import.meta.url), 'utf8')) as object,
  );
  if (validate(JSON.parse(json))) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}`);
}
