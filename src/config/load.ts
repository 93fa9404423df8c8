// loadManifest reads kiln.yaml, validates it and reports the first problem as file:line:column.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { KNOWN_KEYS, manifestSchema, type KilnManifest } from './schema.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/** LoadedManifest is a validated manifest and the source it came from. */
export interface LoadedManifest {
  manifest: KilnManifest;
  source: YamlSource;
}

/** suggest returns the known word closest to `word` when it is a likely typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of new Set(known)) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { word: candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.word : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function describeIssue(issue: z.core.$ZodIssue, source: YamlSource): ConfigError {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const dotted = path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const hint = suggest(key, KNOWN_KEYS);
    const where = source.locate(path, key);
    return new ConfigError(`unknown key "${key}"${dotted ? ` in ${dotted}` : ''}${hint ? ` (did you mean "${hint}"?)` : ''}`, { where });
  }
  const where = source.locate(path);
  return new ConfigError(`${dotted || 'manifest'}: ${issue.message}`, { where });
}

/** parseManifest validates YAML text as a kiln manifest. */
export function parseManifest(file: string, text: string): LoadedManifest {
  const source = parseYamlSource(file, text);
  if (source.value === null || typeof source.value !== 'object') {
    throw new ConfigError('kiln.yaml must be a mapping with an "images" key', { where: { file, line: 1, column: 1 } });
  }
  const result = manifestSchema.safeParse(source.value);
  if (!result.success) throw describeIssue(result.error.issues[0]!, source);
  return { manifest: result.data, source };
}

/** loadManifest reads and validates a kiln.yaml file. */
export async function loadManifest(file: string): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read the manifest (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  return parseManifest(file, text);
}
