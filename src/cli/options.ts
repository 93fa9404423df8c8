// Option declarations several commands share, so each reads and completes the same way everywhere.

/** manifestOptions are taken by every command that reads kiln.yaml: which file, and `--set` overrides of its values. */
export const manifestOptions = {
  file: { type: 'string', short: 'f', value: 'FILE', description: 'the manifest to read (default DIR/kiln.yaml)' },
  set: {
    type: 'string', multiple: true, value: 'PATH=VALUE',
    description: 'override a kiln.yaml value before validation, as buildx bake --set (images.server.python.version=3.12, images.hello.tags=[a,b]); repeatable',
  },
} as const;

/** onlyOption selects entries by name or glob. */
export const onlyOption = {
  only: { type: 'string', multiple: true, value: 'NAME|GLOB', description: 'only the entries named (or matching a glob); repeatable' },
} as const;

/** jsonOption prints the command's result as JSON on stdout (shapes: the types kiln exports, see the README). */
export const jsonOption = {
  json: { type: 'boolean', default: false, description: 'print the result as JSON' },
} as const;

/** quietOption silences progress lines on stderr. */
export const quietOption = {
  quiet: { type: 'boolean', short: 'q', default: false, description: 'no progress lines on stderr' },
} as const;
