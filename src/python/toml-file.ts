// Reading the TOML files of Python projects (pyproject.toml, poetry.lock, uv.lock, pylock.toml) through a
// zod schema, so every malformed file fails the same way: one line naming file:line or the offending key.
import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { InputError } from '../errors.js';

/** readTomlFile parses a TOML file and checks it against a schema, returning the schema's output. */
export async function readTomlFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseTomlText(text, path, schema);
}

/** parseTomlText is readTomlFile for text already in memory; `path` names it in errors. */
export function parseTomlText<S extends z.ZodType>(text: string, path: string, schema: S): z.output<S> {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const message = error.message.split('\n')[0] ?? 'invalid TOML';
      throw new InputError(`invalid TOML: ${message}`, { where: { file: path, line: error.line, column: error.column }, cause: error });
    }
    throw error;
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    throw new InputError(`${key ? `${key}: ` : ''}${issue.message}`, { where: { file: path }, cause: result.error });
  }
  return result.data;
}
