// The ignore file: findings a team has looked at and accepted, each with a reason and, usually, an end date
// after which it must be looked at again. Every mistake names the file and line, so a typo never ignores more.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseYamlSource } from '../config/yaml-source.js';
import { InputError, errorMessage } from '../errors.js';

/** IgnoreRule is one accepted finding. */
export interface IgnoreRule {
  /** id is any id of the vulnerability: CVE, GHSA, DSA, ... (any alias of a merged finding matches). */
  id: string;
  /** package limits the rule to one package (binary or source name); absent means every package. */
  package?: string;
  reason: string;
  /** expires is the last day (YYYY-MM-DD, UTC) the rule holds. */
  expires?: string;
  /** line is where the rule starts in the file, for messages. */
  line: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** isCalendarDate accepts YYYY-MM-DD naming a day that exists (no 2024-02-30). */
function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

const ruleSchema = z.strictObject({
  id: z.string().trim().min(1, 'id must not be empty'),
  package: z.string().trim().min(1).optional(),
  reason: z.string({ error: 'reason is required: say why this finding is accepted' }).trim().min(1, 'reason must not be empty'),
  // YAML may read an unquoted date as a string or a number-like scalar; both are checked as text.
  expires: z.union([z.string(), z.number()]).transform(String).refine(isCalendarDate, 'expires must be a date, YYYY-MM-DD').optional(),
});

const fileSchema = z.array(ruleSchema, { error: 'an ignore file is a YAML list of {id, package, reason, expires}' });

/** parseIgnoreFile reads the rules of an ignore file; any error is one line with file:line. */
export function parseIgnoreText(file: string, text: string): IgnoreRule[] {
  let source;
  try {
    source = parseYamlSource(file, text);
  } catch (error) {
    throw new InputError(errorMessage(error), { cause: error });
  }
  const value = source.value ?? [];
  const result = fileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
    const field = path.length > 1 ? path[path.length - 1] : undefined;
    const where = source.locate(path.length > 1 ? path.slice(0, -1) : path, typeof field === 'string' ? field : undefined);
    // A missing key is best shown at the rule; a bad value at the value itself.
    const at = typeof field === 'string' && issue.code !== 'invalid_type' ? source.locate(path) : where;
    throw new InputError(`ignore file: ${issue.message}`, { where: { file, line: at.line } });
  }
  return result.data.map((rule, i) => ({
    id: rule.id,
    reason: rule.reason,
    ...(rule.package ? { package: rule.package } : {}),
    ...(rule.expires ? { expires: rule.expires } : {}),
    line: source.locate([i]).line ?? 0,
  }));
}

/** readIgnoreFile reads and parses an ignore file. */
export async function readIgnoreFile(file: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`ignore file ${file}: ${errorMessage(error)}`, { cause: error });
  }
  return parseIgnoreText(file, text);
}

/** isExpired tells whether `rule` no longer holds on `today` (YYYY-MM-DD): it holds through its expiry day. */
export function isExpired(rule: IgnoreRule, today: string): boolean {
  return rule.expires !== undefined && today > rule.expires;
}
