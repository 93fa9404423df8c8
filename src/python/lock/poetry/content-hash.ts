// Poetry's content-hash: sha256 of the sorted JSON of the pyproject sections that affect locking. Poetry
// 1.x hashes [tool.poetry]'s dependencies, source, extras, dev-dependencies (null when absent) and group;
// Poetry 2.x, when [project] has requires-python, dependencies or optional-dependencies, nests those beside
// tool.poetry's present keys (some 2.x releases also add [dependency-groups]).
import { createHash } from 'node:crypto';

const LEGACY_KEYS = ['dependencies', 'source', 'extras', 'dev-dependencies'];
const POETRY_KEYS = [...LEGACY_KEYS, 'group'];
const PROJECT_KEYS = ['requires-python', 'dependencies', 'optional-dependencies'];

/** poetryContentHashes returns every content-hash some Poetry release would write for this pyproject data. */
export function poetryContentHashes(data: Record<string, unknown>): string[] {
  const project = asTable(data.project);
  const poetry = asTable(asTable(data.tool).poetry);
  const projectContent: Record<string, unknown> = {};
  for (const key of PROJECT_KEYS) if (project[key] !== undefined) projectContent[key] = project[key];
  const hasProject = Object.keys(projectContent).length > 0;

  const poetryContent: Record<string, unknown> = {};
  for (const key of POETRY_KEYS) {
    if (poetry[key] === undefined && (!LEGACY_KEYS.includes(key) || hasProject)) continue;
    poetryContent[key] = poetry[key] ?? null;
  }
  if (!hasProject) return [sha256(pythonJson(poetryContent))];
  const content: Record<string, unknown> = { project: projectContent, tool: { poetry: poetryContent } };
  const hashes = [sha256(pythonJson(content))];
  if (data['dependency-groups'] !== undefined) hashes.push(sha256(pythonJson({ ...content, 'dependency-groups': data['dependency-groups'] })));
  return hashes;
}

function asTable(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** pythonJson renders a value as Python's `json.dumps(value, sort_keys=True)` does: `, ` and `: `, ASCII only. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`).join(', ')}}`;
}
