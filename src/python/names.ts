// Package and extra names compare after PEP 503 normalisation, so every reader stores them that way.

/** normalizeName applies PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`. */
export function normalizeName(name: string): string {
  return name.trim().replace(/[-_.]+/g, '-').toLowerCase();
}
