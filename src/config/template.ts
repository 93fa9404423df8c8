// Tag and field templates: `{variable}` and `{git.short}` are replaced, `{{` and `}}` are literal braces.

/** TemplateVars looks a variable up; undefined means kiln has no such variable. */
export type TemplateVars = (name: string) => string | undefined;

/** TemplateError names the variable a template used but kiln does not know. */
export class TemplateError extends Error {
  constructor(readonly variable: string, readonly known: readonly string[]) {
    super(`unknown variable {${variable}}`);
  }
}

// Only identifiers count as variables, so JSON or Python in a string (`{}`, `{"a": 1}`) is left alone.
const PATTERN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\}/g;

/** templateVariables lists the variables a template uses, in order. */
export function templateVariables(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(PATTERN)) if (match[1]) names.push(match[1]);
  return names;
}

/** renderTemplate replaces every `{name}`; `keep` lists variables left as written (filled in later). */
export function renderTemplate(text: string, vars: TemplateVars, known: readonly string[], keep: readonly string[] = []): string {
  if (!text.includes('{') && !text.includes('}')) return text;
  return text.replace(PATTERN, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (keep.includes(name!)) return whole;
    const value = vars(name!);
    if (value === undefined) throw new TemplateError(name!, known);
    return value;
  });
}
