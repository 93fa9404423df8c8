// An OSV record (https://ossf.github.io/osv-schema/) as kiln's types. The schema is the parser: fields kiln
// does not use are kept but not checked, fields it matches on are checked so a bad record fails by name.
import { z } from 'zod';
import { InputError } from '../errors.js';

const eventSchema = z.union([
  z.strictObject({ introduced: z.string().min(1) }),
  z.strictObject({ fixed: z.string().min(1) }),
  z.strictObject({ last_affected: z.string().min(1) }),
  z.strictObject({ limit: z.string().min(1) }),
], { error: 'an event has exactly one of introduced, fixed, last_affected, limit' });

const rangeSchema = z.looseObject({
  type: z.enum(['ECOSYSTEM', 'SEMVER', 'GIT']),
  repo: z.string().optional(),
  events: z.array(eventSchema).min(1, 'a range needs at least one event'),
  database_specific: z.unknown().optional(),
});

const affectedSchema = z.looseObject({
  package: z.looseObject({
    ecosystem: z.string().min(1),
    name: z.string().min(1),
    purl: z.string().optional(),
  }),
  severity: z.array(z.looseObject({ type: z.string(), score: z.string() })).optional(),
  ranges: z.array(rangeSchema).default([]),
  versions: z.array(z.string()).default([]),
  ecosystem_specific: z.unknown().optional(),
  database_specific: z.unknown().optional(),
});

/** osvRecordSchema parses one OSV record; `affected` entries without a package are refused. */
export const osvRecordSchema = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string().min(1),
  published: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).default([]),
  related: z.array(z.string()).default([]),
  upstream: z.array(z.string()).default([]),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(z.looseObject({ type: z.string(), score: z.string() })).default([]),
  affected: z.array(affectedSchema).default([]),
  references: z.array(z.looseObject({ type: z.string(), url: z.string() })).default([]),
  database_specific: z.unknown().optional(),
});

/** OsvRecord is one parsed advisory. */
export type OsvRecord = z.infer<typeof osvRecordSchema>;
/** OsvAffected is one package an advisory names, with its ranges and exact versions. */
export type OsvAffected = OsvRecord['affected'][number];
/** OsvRange is one ordered list of events in one ordering (ECOSYSTEM, SEMVER or GIT). */
export type OsvRange = OsvAffected['ranges'][number];
/** OsvEvent is one introduced, fixed, last_affected or limit event. */
export type OsvEvent = OsvRange['events'][number];

/** fieldPath renders a zod issue path the way the OSV JSON reads: `affected[0].ranges[1].events`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `${text ? '.' : ''}${String(key)}`;
  return text || '(record)';
}

/** parseOsvRecord checks `data` against the OSV schema, failing with one line naming the file, the record id and the field. */
export function parseOsvRecord(data: unknown, file: string): OsvRecord {
  const result = osvRecordSchema.safeParse(data);
  if (result.success) return result.data;
  const id =
    data && typeof data === 'object' && typeof (data as { id?: unknown }).id === 'string'
      ? (data as { id: string }).id
      : '(no id)';
  const issue = result.error.issues[0]!;
  throw new InputError(`OSV record ${id}: ${fieldPath(issue.path)}: ${issue.message}`, { where: { file } });
}

/** parseOsvJson parses the text of one OSV JSON file, failing with one line naming the file when it is not JSON. */
export function parseOsvJson(text: string, file: string): OsvRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { where: { file }, cause: error });
  }
  return parseOsvRecord(data, file);
}
