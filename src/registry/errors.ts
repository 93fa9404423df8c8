// Errors a registry answers with, turned into one line that names the registry, repository and status.
import { NetworkError } from '../errors.js';
import { redact } from '../http/redact.js';
import type { HttpResponse } from './transport.js';

/** RegistryError is an HTTP error from a registry; `status` lets callers tell 404 from 401. */
export class RegistryError extends NetworkError {
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(redact(message));
  }
}

const MEANING: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'access denied',
  404: 'not found',
  405: 'operation not supported by this registry',
  416: 'upload range rejected',
  429: 'too many requests (rate limited)',
};

// Distribution's error body: {"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}.
function firstError(body: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    return parsed.errors?.[0] ?? {};
  } catch {
    return {};
  }
}

/** registryError reads a failed response's body and makes a RegistryError for `what` at `where`. */
export async function registryError(response: HttpResponse, what: string, where: string, hint = ''): Promise<RegistryError> {
  const body = await response.text().catch(() => '');
  const { code, message } = firstError(body);
  const meaning = MEANING[response.status] ?? (response.status >= 500 ? 'registry server error' : 'unexpected response');
  const detail = code ? ` (${code}${message && message.toLowerCase() !== code.toLowerCase().replace(/_/g, ' ') ? `: ${message.slice(0, 160)}` : ''})` : '';
  return new RegistryError(`${what} ${where}: HTTP ${response.status} ${meaning}${hint}${detail}`, response.status, code);
}
