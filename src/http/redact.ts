// Secrets kiln has loaded (passwords, tokens) are remembered here so that every message leaving kiln can be
// scrubbed of them, whatever a server or helper echoed back; passwords written into URLs are masked by shape.

const secrets = new Set<string>();

/** rememberSecret marks a value that must never be printed; short values are ignored to avoid mangling text. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 4) {
    secrets.add(value);
    // A Basic header carries the secret base64-encoded, and servers sometimes echo it back.
    secrets.add(Buffer.from(value).toString('base64'));
    // A password in a URL is percent-encoded.
    secrets.add(encodeURIComponent(value));
  }
}

// scheme://user:password@ (https://, docker://, ...).
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']*):[^\s/@"']*@/gi;
// A bare user:password@host, as in an image reference once its docker:// is stripped; `name:tag@sha256:...`
// is a pinned reference, not a password.
const BARE_PASSWORD = /(^|[\s"'(=])([^\s/:@"'(=]+):(?!\/\/)[^\s/@"']+@(?!sha(?:256|512):)(?=[A-Za-z0-9[])/g;

/** redactUrl masks the password of a URL (`https://user:***@host/...`, `user:***@host/repo`); other text is kept. */
export function redactUrl(url: string): string {
  return url.replace(URL_PASSWORD, '$1:***@').replace(BARE_PASSWORD, '$1$2:***@');
}

/** redact masks URL passwords, every remembered secret and anything shaped like an Authorization value with `***`. */
export function redact(text: string): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***');
}

/** redactDeep returns a copy of plain data with every string redacted (for printing plans and reports). */
export function redactDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? redact(item) : item))) as T;
}
