// Timestamps in image configs, written the way Go's time.Time marshals them, so that Go tools (skopeo,
// containerd, umoci) that re-serialise a config reproduce kiln's bytes and its digest.

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** rfc3339 formats whole seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`. */
export function rfc3339(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * canonicalTimestamp rewrites an RFC 3339 time in Go's form: fraction without trailing zeros (none for
 * whole seconds) and `Z` for a zero offset. Other text is returned unchanged; it is the base's to own.
 */
export function canonicalTimestamp(text: string): string {
  const match = RFC3339.exec(text);
  if (!match) return text;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const zone = match[3] === '+00:00' || match[3] === '-00:00' ? 'Z' : match[3];
  return `${match[1]}${fraction ? `.${fraction}` : ''}${zone}`;
}
