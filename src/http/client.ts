// The one HTTP client kiln uses (registries, apt mirrors, Python indexes): undici with verified TLS,
// connect/headers/body-silence timeouts, a deadline per request, retries with exponential backoff and
// jitter (honouring Retry-After) for idempotent requests, redirects that drop credentials off-host, and
// errors that name the URL with its secrets masked.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { KilnError, NetworkError, errorMessage } from '../errors.js';
import { redact, redactUrl } from './redact.js';
import { DEFAULT_HTTP_SETTINGS, httpSettingsFromEnv, type HttpSettings } from './settings.js';

/** HttpMethod lists the verbs kiln sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** BodySource makes a fresh request body for each attempt, so a retry can replay it. */
export type BodySource = () => Buffer | Readable | Promise<Buffer | Readable>;

/** HttpClientOptions tune timeouts and retries (over KILN_HTTP_* and the defaults) and TLS trust. */
export interface HttpClientOptions extends Partial<HttpSettings> {
  /** ca adds trusted certificates (PEM) on top of the system's, for private servers. */
  ca?: string | Buffer;
  dispatcher?: Dispatcher;
  userAgent?: string;
  /** env is read for KILN_HTTP_TIMEOUT, KILN_HTTP_DEADLINE and KILN_HTTP_RETRIES (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** HttpRequest is one logical request; `what` names it in errors (the URL is added). */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: BodySource;
  /** retry on 408/429/5xx and broken connections (default true: bodies are replayable); off when the caller manages it. */
  retry?: boolean;
  what: string;
}

/** HttpResponse is the final answer after redirects and retries; its body must be read or dumped. */
export interface HttpResponse {
  status: number;
  url: string;
  header(name: string): string | undefined;
  body: Readable;
  text(): Promise<string>;
  buffer(limit?: number): Promise<Buffer>;
  dump(): Promise<void>;
}

/** TransientHttpError is a failure worth another attempt (a reset, a timeout, a 5xx); `retryAfter` is the server's hint. */
export class TransientHttpError extends NetworkError {
  constructor(message: string, options: { cause?: unknown; retryAfter?: string } = {}) {
    super(message, { cause: options.cause });
    this.retryAfter = options.retryAfter;
  }

  readonly retryAfter?: string;
}

/** RETRY_STATUS are the statuses a later attempt may not get. */
export const RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_CODES = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_RES_CONTENT_LENGTH_MISMATCH|UND_ERR_ABORTED|ERR_STREAM_PREMATURE_CLOSE)$/;

/** isTransient tells whether another attempt might succeed: broken or silent connections, truncated bodies, 5xx/429. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransientHttpError) return true;
  if (error instanceof KilnError) return false;
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return TRANSIENT_CODES.test(code) || (error instanceof Error && /other side closed|socket hang up|terminated|aborted/i.test(error.message));
}

/** describeHttpError says in a few words why a request failed. */
export function describeHttpError(error: unknown, settings?: Pick<HttpSettings, 'connectMs' | 'headersMs' | 'bodyIdleMs'>): string {
  if (error instanceof KilnError) return error.message;
  const code = (error as { code?: string } | undefined)?.code;
  const s = (ms: number | undefined): string => (ms === undefined ? '' : ` within ${ms / 1000}s`);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection reset';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `could not connect${s(settings?.connectMs)}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `no response${s(settings?.headersMs)}`;
  if (code === 'UND_ERR_BODY_TIMEOUT') return `response body stalled (nothing received${s(settings?.bodyIdleMs)})`;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'response body cut short';
  if (code?.endsWith('TIMEOUT')) return 'timed out';
  return errorMessage(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** HttpClient sends requests with the floor's timeouts and retries; share one per command. */
export class HttpClient {
  readonly settings: HttpSettings;
  private dispatcher: Promise<Dispatcher> | undefined;

  constructor(private readonly options: HttpClientOptions = {}) {
    const { ca, dispatcher, userAgent: _ua, env, ...explicit } = options;
    const defined = Object.fromEntries(Object.entries(explicit).filter(([, value]) => value !== undefined)) as Partial<HttpSettings>;
    this.settings = { ...DEFAULT_HTTP_SETTINGS, ...httpSettingsFromEnv(env), ...defined };
    if (dispatcher) this.dispatcher = Promise.resolve(dispatcher);
    this.ca = ca;
  }

  private readonly ca: HttpClientOptions['ca'];

  // undici is loaded with the first request: a command that finds everything in the cache never pays for it.
  private agent(): Promise<Dispatcher> {
    return (this.dispatcher ??= (async () => {
      const [{ Agent }, { guardedConnector }] = await Promise.all([import('undici'), import('./end-guard.js')]);
      return new Agent({
        connect: guardedConnector({ timeout: this.settings.connectMs, ...(this.ca ? { ca: this.ca } : {}) }),
        headersTimeout: this.settings.headersMs,
        bodyTimeout: this.settings.bodyIdleMs,
        connections: 16,
      });
    })());
  }

  /** retries is how many further attempts a retryable failure gets. */
  get retries(): number {
    return this.settings.retries;
  }

  /** backoff is the delay before retry number `attempt` (0-based): exponential with jitter, or Retry-After. */
  backoff(attempt: number, retryAfter?: string): number {
    const max = this.settings.maxBackoffMs;
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, max * 3);
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.min(Math.max(0, date - Date.now()), max * 3);
    }
    const ceiling = Math.min(max, this.settings.backoffMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /**
   * request sends with retries (idempotent requests, and others whose body can be replayed); it returns any
   * final HTTP status and throws a NetworkError naming the URL only when no answer came.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    return this.retrying(req, (signal, last) => this.answered(req, signal, last));
  }

  /** answered sends once and turns a retryable status (before the last attempt) into a TransientHttpError. */
  private async answered(req: HttpRequest, signal: AbortSignal, last: boolean): Promise<HttpResponse> {
    const response = await this.once(req, signal);
    if (RETRY_STATUS.has(response.status) && !last) {
      const retryAfter = response.header('retry-after');
      await response.dump();
      throw new TransientHttpError(`HTTP ${response.status}`, { retryAfter });
    }
    return response;
  }

  /**
   * read sends a request and hands the response to `consume` inside the retry loop, so a connection reset
   * or a stall in the middle of a body is retried like one before the headers. Retryable statuses are
   * retried before `consume` sees them; other statuses are for `consume` to judge.
   */
  read<T>(req: HttpRequest, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    return this.retrying(req, async (signal, last) => {
      const response = await this.answered(req, signal, last);
      try {
        return await consume(response);
      } finally {
        await response.dump();
      }
    });
  }

  /** getBuffer fetches a whole (index- or manifest-sized) body; any status but 2xx is a NetworkError naming the URL. */
  getBuffer(url: string, what: string, headers: Record<string, string> = {}, limit?: number): Promise<{ status: number; url: string; body: Buffer; header(name: string): string | undefined }> {
    return this.read({ method: 'GET', url, headers, what }, async (response) => {
      if (response.status < 200 || response.status >= 300) throw new HttpStatusError(`${what}: GET ${redactUrl(response.url)}: HTTP ${response.status}`, response.status);
      return { status: response.status, url: response.url, body: await response.buffer(limit), header: response.header };
    });
  }

  /**
   * retrying runs `attempt` until it succeeds, fails for good, or the retry budget or the deadline runs out;
   * failures `transient` accepts are retried. Callers with their own request layering (auth) use it to retry
   * a whole exchange, body included; the final error names `req`'s URL.
   */
  async retrying<T>(
    req: Pick<HttpRequest, 'method' | 'url' | 'what' | 'retry'>,
    attempt: (signal: AbortSignal, last: boolean) => Promise<T>,
    transient: (error: unknown) => boolean = isTransient,
  ): Promise<T> {
    // undici is loaded before the deadline starts: loading it is not the server's time.
    await this.agent();
    const tries = req.retry === false ? 1 : this.settings.retries + 1;
    const deadline = Date.now() + this.settings.deadlineMs;
    const where = `${req.what}: ${req.method} ${redactUrl(req.url)}`;
    let last: unknown;
    for (let n = 0; n < tries; n++) {
      if (n > 0) {
        const wait = this.backoff(n - 1, (last as TransientHttpError | undefined)?.retryAfter);
        if (Date.now() + wait >= deadline) break;
        await sleep(wait);
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DeadlineError(this.settings.deadlineMs)), Math.max(1, deadline - Date.now()));
      try {
        return await attempt(controller.signal, n === tries - 1);
      } catch (error) {
        const cause = controller.signal.aborted ? controller.signal.reason as unknown : error;
        if (cause instanceof DeadlineError) throw new NetworkError(redact(`${where}: ${cause.message}`), { cause: error });
        if (!transient(cause)) {
          if (cause instanceof KilnError) throw cause;
          throw new NetworkError(redact(`${where}: ${describeHttpError(cause, this.settings)}`), { cause });
        }
        last = cause;
      } finally {
        clearTimeout(timer);
      }
      if (Date.now() >= deadline) break;
    }
    const count = tries > 1 ? ` after ${tries} attempts` : '';
    throw new NetworkError(redact(`${where}: ${describeHttpError(last, this.settings)}${count}`), { cause: last });
  }

  private async once(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    let url = req.url;
    let headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'kiln', ...req.headers };
    let method = req.method;
    for (let hop = 0; hop < 6; hop++) {
      const body = method === 'GET' || method === 'HEAD' || !req.body ? undefined : await req.body();
      const { request } = await import('undici');
      const response = await request(url, { method, headers, body, dispatcher: await this.agent(), signal });
      const location = headerValue(response.headers, 'location');
      if (!REDIRECT_STATUS.has(response.statusCode) || !location || (method !== 'GET' && method !== 'HEAD')) {
        return wrap(url, response);
      }
      await response.body.dump().catch(() => undefined);
      const next = new URL(location, url);
      // Credentials are for the server asked: a redirect to storage elsewhere must not carry them.
      if (next.host !== new URL(url).host) {
        const { authorization: _dropped, cookie: _cookie, ...rest } = headers;
        headers = rest;
      }
      url = next.toString();
      if (response.statusCode === 303) method = 'GET';
    }
    throw new NetworkError(redact(`${req.what}: ${req.method} ${redactUrl(req.url)}: too many redirects`));
  }
}

/** HttpStatusError is a final answer that is not a success; `status` lets callers tell 404 from 500. */
export class HttpStatusError extends NetworkError {
  constructor(message: string, readonly status: number) {
    super(redact(message));
  }
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms / 1000}s (KILN_HTTP_DEADLINE)`);
  }
}

function wrap(url: string, response: Dispatcher.ResponseData): HttpResponse {
  const body = response.body;
  // undici throws from deep inside if a consumed body is read again; callers may do that on error paths.
  let consumed = false;
  const once = <T>(read: () => Promise<T>, fallback: T): Promise<T> => {
    if (consumed) return Promise.resolve(fallback);
    consumed = true;
    return read();
  };
  return {
    status: response.statusCode,
    url,
    header: (name) => headerValue(response.headers, name),
    body: body as unknown as Readable,
    text: () => once(() => body.text(), ''),
    async buffer(limit?: number) {
      if (consumed) return Buffer.alloc(0);
      consumed = true;
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body) {
        total += chunk.length;
        if (limit !== undefined && total > limit) {
          body.destroy();
          throw new NetworkError(redact(`response from ${redactUrl(url)} is larger than ${limit} bytes`));
        }
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks);
    },
    dump: () => once(() => body.dump().catch(() => undefined), undefined),
  };
}
