// How long kiln waits on a server and how often it tries again, with environment overrides so a user on a
// slow link (or a test wanting quick failures) can change them without code.
import { UsageError } from '../errors.js';

/** HttpSettings are the timeouts and retry budget of the HTTP floor, all in milliseconds. */
export interface HttpSettings {
  /** connectMs bounds opening a connection (TCP and TLS). */
  connectMs: number;
  /** headersMs bounds the wait for a response's headers once the request is sent. */
  headersMs: number;
  /** bodyIdleMs bounds the silence between two chunks of a response body. */
  bodyIdleMs: number;
  /** deadlineMs bounds one logical request from first attempt to last byte, retries included. */
  deadlineMs: number;
  /** retries after the first attempt for retryable failures. */
  retries: number;
  /** backoffMs is the first retry delay; it doubles each attempt up to maxBackoffMs, with jitter. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** DEFAULT_HTTP_SETTINGS suit public registries, mirrors and indexes. */
export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  connectMs: 30_000,
  headersMs: 60_000,
  bodyIdleMs: 60_000,
  deadlineMs: 30 * 60_000,
  retries: 5,
  backoffMs: 250,
  maxBackoffMs: 10_000,
};

function seconds(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name}=${text}: expected a number of seconds greater than 0`);
  return value * 1000;
}

/**
 * httpSettingsFromEnv reads KILN_HTTP_TIMEOUT (seconds: connect, headers and body silence), KILN_HTTP_DEADLINE
 * (seconds per request, retries included) and KILN_HTTP_RETRIES over the defaults.
 */
export function httpSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<HttpSettings> {
  const settings: Partial<HttpSettings> = {};
  const timeout = seconds(env, 'KILN_HTTP_TIMEOUT');
  if (timeout !== undefined) Object.assign(settings, { connectMs: timeout, headersMs: timeout, bodyIdleMs: timeout });
  const deadline = seconds(env, 'KILN_HTTP_DEADLINE');
  if (deadline !== undefined) settings.deadlineMs = deadline;
  const retries = env.KILN_HTTP_RETRIES;
  if (retries !== undefined && retries.trim() !== '') {
    if (!/^\d+$/.test(retries.trim())) throw new UsageError(`KILN_HTTP_RETRIES=${retries}: expected a whole number`);
    settings.retries = Number(retries);
  }
  return settings;
}
