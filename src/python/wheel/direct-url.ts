// direct_url.json (PEP 610), serialised as pip writes it: json.dumps(sort_keys=True).

/** DirectUrl records where a wheel not from an index came from: a local directory, an archive URL or a VCS. */
export interface DirectUrl {
  url: string;
  dir_info?: { editable?: boolean };
  archive_info?: { hash?: string; hashes?: Record<string, string> };
  vcs_info?: { vcs: string; commit_id: string; requested_revision?: string };
  subdirectory?: string;
}

/** pythonJson renders a value like Python's json.dumps(value, sort_keys=True): `, ` and `: ` separators, ASCII only. */
export function pythonJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

/** directUrlJson is the file's content for a wheel installed from `directUrl`. */
export function directUrlJson(directUrl: DirectUrl): Buffer {
  return Buffer.from(pythonJson(directUrl), 'utf8');
}
