// loadManifest reads kiln.yaml, validates it and reports the first problem as file:line:column.
import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError, InputError } from '../errors.js';
import { KNOWN_KEYS, manifestSchema, type KilnManifest } from './schema.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';
import { suggest } from './suggest.js';
import { closestIssue } from './issues.js';
import { expandEntries, type EntrySpec, type SourceTree } from './entries.js';
import { dirname, resolve } from 'node:path';

export { suggest };

/** LoadedManifest is a validated manifest, the source it came from, and its entries (matrices expanded). */
export interface LoadedManifest {
  manifest: KilnManifest;
  source: YamlSource;
  entries: EntrySpec[];
}

/**
 * LoadOptions feed template variables: `{git.sha}` reads the manifest's folder, `{date}` SOURCE_DATE_EPOCH,
 * `{source.NAME.*}` and `source:` paths the synced `sources`, or what `syncSources` syncs once the manifest is valid.
 */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  now?: Date;
  sources?: SourceTree[];
  syncSources?: (manifest: KilnManifest, source: YamlSource) => Promise<SourceTree[]>;
  /** overrides are `PATH=VALUE` changes (`kiln --set`), applied before validation. */
  overrides?: readonly string[];
}

function describeIssue(raw: z.core.$ZodIssue, source: YamlSource): ConfigError {
  const { path, issue } = closestIssue(raw);
  const dotted = path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const hint = suggest(key, KNOWN_KEYS.filter((known) => known !== key));
    const where = source.locate(path, key);
    return new ConfigError(`unknown key "${key}"${dotted ? ` in ${dotted}` : ''}${hint ? ` (did you mean "${hint}"?)` : ''}`, { where });
  }
  const where = source.locate(path);
  // A value from --set is named by the flag already: `--set images.hello.tags: expected array`.
  return new ConfigError(where.line === undefined && where.file.startsWith('--set ') ? issue.message : `${dotted || 'manifest'}: ${issue.message}`, { where });
}

/**
 * MANIFEST_LIMIT caps a manifest's size: kiln.yaml files are kilobytes, and parsing with positions kept
 * for error messages costs far more memory and time per byte than the file itself.
 */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

function tooLarge(file: string, size: number): ConfigError {
  return new ConfigError(`the manifest is ${(size / 2 ** 20).toFixed(1)} MiB; kiln reads manifests of at most ${MANIFEST_LIMIT / 2 ** 20} MiB`, { where: { file } });
}

/** validateManifest checks YAML text against the manifest schema, before any entry is expanded. */
export function validateManifest(file: string, text: string, overrides: readonly string[] = []): { manifest: KilnManifest; source: YamlSource } {
  const size = Buffer.byteLength(text);
  if (size > MANIFEST_LIMIT) throw tooLarge(file, size);
  const source = parseYamlSource(file, text, overrides);
  if (source.value === null || typeof source.value !== 'object') {
    throw new ConfigError('kiln.yaml must be a mapping with an "images" key', { where: { file, line: 1, column: 1 } });
  }
  const result = manifestSchema.safeParse(source.value);
  if (!result.success) throw describeIssue(result.error.issues[0]!, source);
  return { manifest: result.data, source };
}

function expand(file: string, validated: { manifest: KilnManifest; source: YamlSource }, options: LoadOptions, sources: SourceTree[] | undefined): LoadedManifest {
  const entries = expandEntries(validated.manifest, validated.source, {
    manifestDir: dirname(resolve(file)),
    env: options.env ?? process.env,
    ...(options.now ? { now: options.now } : {}),
    ...(sources ? { sources } : {}),
  });
  return { ...validated, entries };
}

/** parseManifest validates YAML text as a kiln manifest. */
export function parseManifest(file: string, text: string, options: LoadOptions = {}): LoadedManifest {
  return expand(file, validateManifest(file, text, options.overrides), options, options.sources);
}

/** readManifest reads and validates a kiln.yaml file, with any `--set` overrides, without expanding its entries (no variable is read). */
export async function readManifest(file: string, overrides: readonly string[] = []): Promise<{ manifest: KilnManifest; source: YamlSource }> {
  let text: string;
  try {
    // Checked before reading, so a huge file is neither read nor parsed.
    const { size } = await stat(file);
    if (size > MANIFEST_LIMIT) throw tooLarge(file, size);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new InputError(`${file}: cannot read the manifest (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  return validateManifest(file, text, overrides);
}

/** loadManifest reads and validates a kiln.yaml file. */
export async function loadManifest(file: string, options: LoadOptions = {}): Promise<LoadedManifest> {
  const validated = await readManifest(file, options.overrides);
  const sources = options.sources ?? (options.syncSources && validated.manifest.sources ? await options.syncSources(validated.manifest, validated.source) : undefined);
  return expand(file, validated, options, sources);
}
