// Writes schema/kiln.schema.json from the zod schema: `node --import tsx scripts/json-schema.ts`.
import { mkdir, writeFile } from 'node:fs/promises';
import { formatJsonSchema } from '../src/config/json-schema.js';

const target = new URL('../schema/kiln.schema.json', import.meta.url);
await mkdir(new URL('.', target), { recursive: true });
await writeFile(target, formatJsonSchema());
console.log(target.pathname);
