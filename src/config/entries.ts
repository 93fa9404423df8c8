// expandEntries: a validated manifest -> one fully merged image spec per matrix entry, with tags rendered.
// Merge order: defaults < presets (in `extends` order, parents first) < image < matching overrides.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { checkSelector, describe, expandMatrix, selects, type Combination, type Fail, type Selector } from './matrix.js';
import { imageSchema, SOURCE_PREFIX, type ImageSpec, type KilnManifest } from './schema.js';
import { suggest } from './suggest.js';
import { DEFAULT_SCAN_POLICY, type ScanPolicy, type Severity } from '../plan/scan-policy.js';
import { closestIssue } from './issues.js';
import { renderTemplate, TemplateError } from './template.js';
import type { YamlSource } from './yaml-source.js';

type Path = Array<string | number>;

/** EntrySpec is one image to build: a plain image, or one combination of an image's matrix. */
export interface EntrySpec {
  /** image is the name under `images:`; registries get `<repository>/<image>:<tag>`. */
  image: string;
  /** name is `image`, or `image/suffix` for a matrix entry (suffix from `name:` or the axis values). */
  name: string;
  /** axes holds the matrix values of this entry (empty without a matrix). */
  axes: Combination;
  spec: ImageSpec;
  tags: string[];
  /** publish names the registries the entry goes to. */
  publish: string[];
  scan: ScanPolicy | false;
  /** sbom attaches the entry's SBOM to its image where it is published. */
  sbom: boolean;
  immutableTags: boolean;
}

/** SourceTree is a synced source as entries see it: `source:NAME/dir` paths and `{source.NAME.*}` variables. */
export interface SourceTree {
  name: string;
  dir: string;
  commit: string;
  ref: string;
  version?: string;
}

/** ExpandContext is what template variables may read; `sources` are the synced trees of kiln.yaml's `sources:`. */
export interface ExpandContext {
  manifestDir: string;
  env: NodeJS.ProcessEnv;
  now?: Date;
  sources?: SourceTree[];
}

/** SOURCE_FIELDS are the variables each source gives: `{source.NAME.commit}` and so on. */
export const SOURCE_FIELDS = ['commit', 'short', 'ref', 'version'] as const;

/** BUILTIN_VARIABLES are the template variables kiln always knows (besides `vars:` and matrix axes). */
export const BUILTIN_VARIABLES = ['image', 'version', 'git.sha', 'git.short', 'date'] as const;

// Keys of an image entry that shape the matrix rather than the image.
const MATRIX_KEYS = new Set(['extends', 'matrix', 'include', 'exclude', 'overrides', 'name']);
// A preset's own `extends` is resolved into layers, never merged into the image.
const EXTENDS_KEY: ReadonlySet<string> = new Set(['extends']);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: unknown, path: Path): unknown {
  let node = value;
  for (const segment of path) node = isPlain(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
  return node;
}

/** Merged is an image being merged from layers; `from` remembers which YAML node each value came from. */
class Merged {
  readonly value: Record<string, unknown> = {};
  private readonly from = new Map<string, Path>();

  constructor(private readonly fallback: Path) {}

  add(layer: unknown, source: Path, skip: ReadonlySet<string> = new Set()): void {
    if (!isPlain(layer)) return;
    this.merge(this.value, layer, source, [], skip);
  }

  private merge(target: Record<string, unknown>, layer: Record<string, unknown>, source: Path, here: Path, skip: ReadonlySet<string>): void {
    for (const [key, value] of Object.entries(layer)) {
      if (here.length === 0 && skip.has(key)) continue;
      const path = [...here, key];
      if (isPlain(value) && isPlain(target[key])) {
        this.merge(target[key] as Record<string, unknown>, value, [...source, key], path, skip);
        continue;
      }
      // Only a mapping that was merged into can have origins recorded below it; scanning for them on
      // every key would make a large map quadratic.
      if (isPlain(target[key])) {
        const prefix = JSON.stringify(path).slice(0, -1);
        for (const known of [...this.from.keys()]) if (known.startsWith(prefix + ',')) this.from.delete(known);
      }
      target[key] = structuredClone(value);
      this.from.set(JSON.stringify(path), [...source, key]);
    }
  }

  /** origin is the YAML path of the value at `path` in the merged image. */
  origin(path: Path): Path {
    for (let i = path.length; i > 0; i--) {
      const found = this.from.get(JSON.stringify(path.slice(0, i)));
      if (found) return [...found, ...path.slice(i)];
    }
    return this.fallback;
  }
}

/** Variables answers template lookups for one entry, computing the expensive ones on first use. */
class Variables {
  private readonly cache = new Map<string, string>();
  private names?: string[];

  constructor(
    private readonly table: Record<string, string>,
    private readonly lazy: Record<string, () => string>,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  // Built once: templates are rendered for every string of an entry, and the table can be large.
  get known(): string[] {
    return (this.names ??= [...Object.keys(this.table), ...Object.keys(this.lazy)]);
  }

  lookup = (name: string): string | undefined => {
    if (name in this.table) return this.table[name];
    // {env.NAME}, as buildx bake reads the environment; an unset variable is an error, never an empty string.
    if (name.startsWith('env.')) {
      const value = this.env[name.slice(4)];
      if (value === undefined) throw new Error(`environment variable ${name.slice(4)} is not set`);
      return value;
    }
    const compute = this.lazy[name];
    if (!compute) return undefined;
    let value = this.cache.get(name);
    if (value === undefined) this.cache.set(name, (value = compute()));
    return value;
  };
}

function gitRevision(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error(`${dir} is not in a git checkout`);
  }
}

function projectVersion(dir: string, versionFile: string | undefined): string {
  const pyproject = join(dir, 'pyproject.toml');
  let text: string | undefined;
  try {
    text = readFileSync(pyproject, 'utf8');
  } catch {
    // No pyproject: the version file decides.
  }
  if (text !== undefined) {
    const doc = parseToml(text) as { project?: { version?: unknown }; tool?: { poetry?: { version?: unknown } } };
    const version = doc.project?.version ?? doc.tool?.poetry?.version;
    if (typeof version === 'string' && version) return version;
  }
  if (versionFile) {
    try {
      const version = readFileSync(versionFile, 'utf8').trim().split('\n')[0]!.trim();
      if (version) return version;
    } catch (error) {
      throw new Error(`cannot read version_file ${versionFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    throw new Error(`version_file ${versionFile} is empty`);
  }
  throw new Error(`no version in ${pyproject} and no version_file in kiln.yaml`);
}

function formatDate(env: NodeJS.ProcessEnv, now: Date): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const date = epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : now;
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

/** expandEntries turns every image of the manifest into its entries; any problem is a ConfigError at its YAML node. */
export function expandEntries(manifest: KilnManifest, source: YamlSource, context: ExpandContext): EntrySpec[] {
  const raw = source.value as Record<string, unknown>;
  const failAt = (path: Path, message: string, key?: string): never => {
    throw new ConfigError(message, { where: source.locate(path, key) });
  };
  const presets = manifest.presets ?? {};
  const registries = Object.keys(manifest.registries ?? {});
  const registrySet = new Set(registries);
  const vars = manifest.vars ?? {};
  const now = context.now ?? new Date();
  const versionFile = manifest.version_file ? resolve(context.manifestDir, manifest.version_file) : undefined;
  let revision: string | undefined;
  const builtins: Record<string, () => string> = {
    'git.sha': () => (revision ??= gitRevision(context.manifestDir)),
    'git.short': () => (revision ??= gitRevision(context.manifestDir)).slice(0, 7),
    date: () => formatDate(context.env, now),
  };
  const sourceNames = Object.keys(manifest.sources ?? {});
  const trees = new Map((context.sources ?? []).map((tree) => [tree.name, tree] as const));
  const syncedTree = (name: string): SourceTree => {
    const tree = trees.get(name);
    if (!tree) throw new Error(`source ${name} is not synced here (kiln plan, kiln build and kiln source sync sync it)`);
    return tree;
  };
  for (const name of sourceNames) {
    builtins[`source.${name}.commit`] = () => syncedTree(name).commit;
    builtins[`source.${name}.short`] = () => syncedTree(name).commit.slice(0, 7);
    builtins[`source.${name}.ref`] = () => syncedTree(name).ref;
    builtins[`source.${name}.version`] = () => {
      const version = syncedTree(name).version;
      if (version === undefined) throw new Error(`source ${name} names no version_file in kiln.yaml`);
      return version;
    };
  }
  // `source:NAME/sub/dir` is a folder of a synced tree; anything else is relative to kiln.yaml.
  const inSource = (text: string, where: Path): string => {
    if (!text.startsWith(SOURCE_PREFIX)) return text;
    const [name = '', ...rest] = text.slice(SOURCE_PREFIX.length).split('/');
    if (!sourceNames.includes(name)) {
      const hint = suggest(name, sourceNames);
      return failAt(where, `unknown source "${name}" in "${text}"${hint ? ` (did you mean "${hint}"?)` : sourceNames.length ? ` (sources: ${sourceNames.join(', ')})` : ' (no sources: in kiln.yaml)'}`);
    }
    if (rest.includes('..')) return failAt(where, `"${text}" leaves the source's tree ("..")`);
    try {
      return join(syncedTree(name).dir, ...rest);
    } catch (error) {
      return failAt(where, (error as Error).message);
    }
  };

  // Parents first, each preset once, cycles refused: a depth-first walk that skips presets already
  // placed, so a long chain or a lattice of presets costs one visit per preset. `done` may be shared.
  const presetLayers = (names: string | string[] | undefined, path: Path, chain: string[] = [], done = new Set<string>()): Array<{ name: string; path: Path }> => {
    const layers: Array<{ name: string; path: Path }> = [];
    const onChain = new Set(chain);
    const walk = (list: string | string[] | undefined, listPath: Path): void => {
      const names = list === undefined ? [] : Array.isArray(list) ? list : [list];
      names.forEach((preset, i) => {
        const where = Array.isArray(list) ? [...listPath, i] : listPath;
        if (!(preset in presets)) {
          const hint = suggest(preset, Object.keys(presets));
          failAt(where, `unknown preset "${preset}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
        }
        if (onChain.has(preset)) failAt(where, `preset "${preset}" extends itself (${[...chain, preset].join(' -> ')})`);
        if (done.has(preset)) return;
        chain.push(preset);
        onChain.add(preset);
        walk(presets[preset]!.extends, ['presets', preset, 'extends']);
        chain.pop();
        onChain.delete(preset);
        done.add(preset);
        layers.push({ name: preset, path: ['presets', preset] });
      });
    };
    walk(names, path);
    return layers;
  };

  // Every preset is checked, used or not: a broken preset should not wait for its first user.
  const checked = new Set<string>();
  for (const preset of Object.keys(presets)) presetLayers(preset, ['presets', preset], [], checked);

  const entries: EntrySpec[] = [];
  const entryNames = new Set<string>();
  const tagOwners = new Map<string, string>();
  for (const image of Object.keys(manifest.images).sort()) {
    const entry = manifest.images[image]!;
    const imagePath: Path = ['images', image];
    const fail: Fail = (path, message, key) => failAt([...imagePath, ...path], message, key);
    const axes = entry.matrix ?? {};
    const axisNames = Object.keys(axes);
    for (const axis of axisNames) {
      if (axis in vars || (BUILTIN_VARIABLES as readonly string[]).includes(axis)) fail(['matrix', axis], `axis "${axis}" hides the variable {${axis}}: rename one of them`);
    }
    const combinations = expandMatrix({ axes, include: entry.include ?? [], exclude: (entry.exclude ?? []) as Selector[] }, fail);
    const overrides = entry.overrides ?? [];
    overrides.forEach((override, i) => {
      checkSelector(override.when, axisNames, ['overrides', i, 'when'], fail);
      if (!combinations.some((combination) => selects(override.when, combination))) {
        fail(['overrides', i, 'when'], `override when ${describe(override.when)} matches no entry of the matrix`);
      }
    });
    const layers = [
      ...(raw.defaults !== undefined ? [{ path: ['defaults'] as Path }] : []),
      ...presetLayers(entry.extends, [...imagePath, 'extends'], []),
      { path: imagePath },
    ];

    for (const combination of combinations) {
      const merged = new Merged(imagePath);
      for (const layer of layers) merged.add(at(raw, layer.path), layer.path, layer.path === imagePath ? MATRIX_KEYS : EXTENDS_KEY);
      overrides.forEach((override, i) => {
        if (!selects(override.when, combination)) return;
        const setPath = [...imagePath, 'overrides', i, 'set'];
        for (const layer of presetLayers(override.set.extends, [...setPath, 'extends'], [])) merged.add(at(raw, layer.path), layer.path, EXTENDS_KEY);
        merged.add(at(raw, setPath), setPath, EXTENDS_KEY);
      });
      // Variables: the manifest's, then any layer's `vars:` (a preset's, an override's), then the matrix values.
      const { vars: layerVars, ...mergedFields } = merged.value;
      for (const key of Object.keys(merged.value)) delete merged.value[key];
      Object.assign(merged.value, mergedFields);
      const table: Record<string, string> = {
        ...vars,
        ...Object.fromEntries(Object.entries((layerVars ?? {}) as Record<string, unknown>).map(([key, value]) => [key, String(value)])),
        ...combination,
        image,
      };
      const withoutVersion = new Variables(table, builtins, context.env);
      const render = (text: string, path: Path, variables: Variables, keep: string[] = []): string => {
        try {
          return renderTemplate(text, variables.lookup, variables.known, keep);
        } catch (error) {
          const where = merged.origin(path);
          if (error instanceof TemplateError) {
            const hint = suggest(error.variable, error.known);
            return failAt(where, `unknown variable {${error.variable}} in "${text}"${hint ? ` (did you mean {${hint}}?)` : ''}; known: ${error.known.map((k) => `{${k}}`).join(' ')}`);
          }
          return failAt(where, `{${String(text.match(/\{([^{}]+)\}/)?.[1] ?? '')}} in "${text}": ${(error as Error).message}`);
        }
      };
      // {version} comes from the entry's project, whose folder may itself use the other variables.
      const projectField = (at(merged.value, ['python', 'project']) ?? at(merged.value, ['app', 'src']) ?? '.') as unknown;
      const projectPath: Path = at(merged.value, ['python', 'project']) !== undefined ? ['python', 'project'] : ['app', 'src'];
      const variables = new Variables(table, {
        ...builtins,
        version: () => projectVersion(resolve(context.manifestDir, typeof projectField === 'string' ? inSource(render(projectField, projectPath, withoutVersion), merged.origin(projectPath)) : '.'), versionFile),
      }, context.env);
      const substitute = (value: unknown, path: Path): unknown => {
        if (typeof value === 'string') return render(value, path, variables, path[0] === 'outputs' ? ['name'] : []);
        if (Array.isArray(value)) return value.map((item, i) => substitute(item, [...path, i]));
        if (isPlain(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, [...path, key])]));
        return value;
      };
      const fields = substitute(merged.value, []) as Record<string, unknown>;
      for (const path of [['python', 'project'], ['python', 'lock'], ['app', 'src']] as Path[]) {
        const value = at(fields, path);
        if (typeof value === 'string') (at(fields, path.slice(0, -1)) as Record<string, unknown>)[path[1]!] = inSource(value, merged.origin(path));
      }
      const { tags: tagTemplates, publish, scan, sbom, immutable_tags: immutable, ...imageFields } = fields;

      let name = image;
      if (axisNames.length) {
        const suffix = entry.name !== undefined ? render(entry.name, ['name'], variables) : axisNames.map((axis) => combination[axis]).join('-');
        if (!TAG.test(suffix)) fail(entry.name !== undefined ? ['name'] : ['matrix'], `entry name "${image}/${suffix}" is not usable: letters, digits, ".", "_" and "-" only`);
        name = `${image}/${suffix}`;
        if (entryNames.has(name)) fail(entry.name !== undefined ? ['name'] : ['matrix'], `two entries are both named "${name}": put more axes in name`);
      }

      const parsed = imageSchema.safeParse(imageFields);
      if (!parsed.success) {
        const { path, issue } = closestIssue(parsed.error.issues[0]!);
        failAt(merged.origin(path), `${[...imagePath, ...path].join('.')}: ${issue.message}${name !== image ? ` (entry ${name})` : ''}`);
      }

      const tags = [...new Set((tagTemplates as string[] | undefined) ?? [axisNames.length ? name.slice(image.length + 1) : 'latest'])];
      tags.forEach((tag, i) => {
        if (!TAG.test(tag)) failAt(merged.origin(['tags', i]), `tag "${tag}" of ${name} is not a valid tag (letters, digits, ".", "_", "-"; at most 128)`);
        const owner = tagOwners.get(`${image}:${tag}`);
        if (owner) failAt(merged.origin(['tags', i]), `tag "${image}:${tag}" would be pushed by both ${owner} and ${name}: add a matrix variable to the tag`);
        tagOwners.set(`${image}:${tag}`, name);
      });
      const targets = publish === false ? [] : (publish as string[] | undefined) ?? registries;
      targets.forEach((registry, i) => {
        if (!registrySet.has(registry)) {
          const hint = suggest(registry, registries);
          failAt(merged.origin(['publish', i]), `unknown registry "${registry}"${hint ? ` (did you mean "${hint}"?)` : registries.length ? ` (registries: ${registries.join(', ')})` : ' (no registries: in kiln.yaml)'}`);
        }
      });
      entryNames.add(name);
      entries.push({
        image,
        name,
        axes: combination,
        spec: parsed.data!,
        tags,
        publish: targets,
        scan: scanPolicy(scan as ScanSetting | undefined, context.manifestDir),
        sbom: (sbom as boolean | undefined) ?? true,
        immutableTags: (immutable as boolean | undefined) ?? false,
      });
    }
  }
  return entries;
}

type ScanSetting = boolean | { severity?: Severity[]; ignore_unfixed?: boolean; ignorefile?: string };

// Unset means no gate: a gate needs an OSV database, and a push should not start failing because one is missing.
function scanPolicy(setting: ScanSetting | undefined, manifestDir: string): ScanPolicy | false {
  if (setting === undefined || setting === false) return false;
  if (setting === true) return { ...DEFAULT_SCAN_POLICY, severity: [...DEFAULT_SCAN_POLICY.severity] };
  return {
    severity: [...new Set(setting.severity ?? DEFAULT_SCAN_POLICY.severity)],
    ignoreUnfixed: setting.ignore_unfixed ?? DEFAULT_SCAN_POLICY.ignoreUnfixed,
    ...(setting.ignorefile ? { ignorefile: resolve(manifestDir, setting.ignorefile) } : {}),
  };
}
