// Writes schema/kiln.schema.json and schema/kiln-plan.schema.json from the zod schemas: `node --import tsx scripts/json-schema.ts`.
import { mkdir, writeFile } from 'node:fs/promises';
import { formatJsonSchema } from '../src/config/json-schema.js';
import { formatPlanJsonSchema } from '../src/plan/file.js';

for (const [name, text] of [['kiln.schema.json', formatJsonSchema()], ['kiln-plan.schema.json', formatPlanJsonSchema()]] as const) {
  const target = new URL(`../schema/${name}`, import.meta.url);
  await mkdir(new URL('.', target), { recursive: true });
  await writeFile(target, text);
  console.log(target.pathname);
}
