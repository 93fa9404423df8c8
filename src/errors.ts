// The one error hierarchy: every failure kiln expects is a KilnError, printed as one line by the CLI.

/** SourceLocation points at the place in a user's file that caused an error. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** formatLocation renders a location the way compilers do: file:line:column. */
export function formatLocation(where: SourceLocation): string {
  let text = where.file;
  if (where.line !== undefined) text += `:${where.line}`;
  if (where.line !== undefined && where.column !== undefined) text += `:${where.column}`;
  return text;
}

/** KilnError is the base of every error kiln reports to a user; its message is one line. */
export class KilnError extends Error {
  readonly where?: SourceLocation;

  constructor(message: string, options: { cause?: unknown; where?: SourceLocation } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.where = options.where;
  }

  /** oneLine is what the CLI prints: location first, then the message and its causes' messages. */
  oneLine(): string {
    const prefix = this.where ? `${formatLocation(this.where)}: ` : '';
    return prefix + this.message.replace(/\s*\n\s*/g, ' ');
  }
}

/** ConfigError: kiln.yaml or another manifest is malformed or inconsistent. */
export class ConfigError extends KilnError {}

/** UsageError: the command line is wrong. */
export class UsageError extends KilnError {}

/** InputError: an input file or image (a base, a layout, an archive, a lock) is missing or unreadable. */
export class InputError extends KilnError {}

/** IntegrityError: content did not match the digest, hash or signature that vouches for it. */
export class IntegrityError extends KilnError {}

/** UnsafePathError: a path would escape the image root or the destination directory. */
export class UnsafePathError extends KilnError {}

/** OutputError: a destination could not be written. */
export class OutputError extends KilnError {}

/** NetworkError: a remote server could not be reached or answered with an error. */
export class NetworkError extends KilnError {}

/** ResolutionError: a set of requirements (packages, wheels) cannot be satisfied. */
export class ResolutionError extends KilnError {}

/** errorMessage gives a short message for any thrown value, for wrapping as context. */
export function errorMessage(error: unknown): string {
  if (error instanceof KilnError) return error.oneLine();
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** withContext runs fn and wraps any non-Kiln failure as `Kind("context: cause")`. */
export async function withContext<T>(
  context: string,
  fn: () => Promise<T>,
  Kind: new (message: string, options?: { cause?: unknown; where?: SourceLocation }) => KilnError = InputError,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof KilnError) throw error;
    throw new Kind(`${context}: ${errorMessage(error)}`, { cause: error });
  }
}
