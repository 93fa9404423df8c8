// Secrets kiln has loaded (passwords, tokens) are remembered here so that every message leaving the
// registry code can be scrubbed of them, whatever a server or helper echoed back.

const secrets = new Set<string>();

/** rememberSecret marks a value that must never be printed; short values are ignored to avoid mangling text. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 4) {
    secrets.add(value);
    // A Basic header carries the secret base64-encoded, and servers sometimes echo it back.
    secrets.add(Buffer.from(value).toString('base64'));
  }
}

/** redact replaces every remembered secret, and anything shaped like an Authorization value, with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***');
}
