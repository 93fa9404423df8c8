// HTTP for registries: undici with verified TLS, timeouts, redirects that drop credentials when they
// leave the host, and retries with exponential backoff and jitter on 429, 5xx and broken connections.
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { NetworkError, errorMessage } from '../errors.js';
import { isLoopbackRegistry, registryApiHost } from './reference.js';
import { redact } from './redact.js';

/** TransportOptions tune how kiln talks HTTP to registries. */
export interface TransportOptions {
  /** insecure lists registries (host[:port]) that may be spoken to over plain HTTP; loopback always may. */
  insecure?: string[];
  /** retries after the first attempt for retryable failures (default 5). */
  retries?: number;
  /** backoffMs is the first retry delay; it doubles each attempt up to maxBackoffMs, with jitter. */
  backoffMs?: number;
  maxBackoffMs?: number;
  connectTimeoutMs?: number;
  /** headersTimeoutMs bounds the wait for a response's headers. */
  headersTimeoutMs?: number;
  /** bodyTimeoutMs bounds the silence between two chunks of a body. */
  bodyTimeoutMs?: number;
  /** ca adds trusted certificates (PEM) on top of the system's, for private registries. */
  ca?: string | Buffer;
  dispatcher?: Dispatcher;
  userAgent?: string;
}

/** HttpMethod lists the verbs the distribution API uses. */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** BodySource makes a fresh request body for each attempt, so a retry can replay it. */
export type BodySource = () => Buffer | Readable | Promise<Buffer | Readable>;

/** HttpRequest is one logical request; `what` names it in errors. */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: BodySource;
  /** retry on 429/5xx/connection failures (default true); off for requests whose retry the caller manages. */
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

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function isRetryableError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/.test(code)
    || (error instanceof Error && /other side closed|socket hang up/i.test(error.message));
}

function describeError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
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

/** Transport sends registry requests; one is shared by all clients of a push or pull. */
export class Transport {
  private readonly dispatcher: Dispatcher;
  private readonly insecure: Set<string>;
  readonly retries: number;

  constructor(private readonly options: TransportOptions = {}) {
    this.dispatcher = options.dispatcher ?? new Agent({
      connect: { timeout: options.connectTimeoutMs ?? 30_000, ...(options.ca ? { ca: options.ca } : {}) },
      headersTimeout: options.headersTimeoutMs ?? 120_000,
      bodyTimeout: options.bodyTimeoutMs ?? 300_000,
      connections: 16,
    });
    this.insecure = new Set((options.insecure ?? []).map((host) => host.toLowerCase()));
    this.retries = options.retries ?? 5;
  }

  /** baseUrl is where a registry's API lives: https, or http only for loopback and insecure registries. */
  baseUrl(registry: string): string {
    const plain = isLoopbackRegistry(registry) || this.insecure.has(registry.toLowerCase());
    return `${plain ? 'http' : 'https'}://${registryApiHost(registry)}`;
  }

  /** backoff is the delay before retry number `attempt` (0-based): exponential with jitter, or Retry-After. */
  backoff(attempt: number, retryAfter?: string): number {
    const max = this.options.maxBackoffMs ?? 10_000;
    const seconds = retryAfter !== undefined ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, max * 3);
    const ceiling = Math.min(max, (this.options.backoffMs ?? 250) * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** request sends with retries; it returns any final HTTP status and throws NetworkError only when the server cannot be reached. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const attempts = req.retry === false ? 1 : this.retries + 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt - 1, (lastError as { retryAfter?: string } | undefined)?.retryAfter));
      try {
        const response = await this.once(req);
        if (RETRY_STATUS.has(response.status) && attempt < attempts - 1) {
          lastError = { status: response.status, retryAfter: response.header('retry-after') };
          await response.dump();
          continue;
        }
        return response;
      } catch (error) {
        if (!isRetryableError(error)) {
          throw new NetworkError(redact(`${req.what}: ${describeError(error)}`), { cause: error });
        }
        lastError = error;
      }
    }
    const host = new URL(req.url).host;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    throw new NetworkError(redact(`${req.what}: cannot reach ${host}${tries}: ${describeError(lastError)}`), { cause: lastError });
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { 'user-agent': this.options.userAgent ?? 'kiln', ...req.headers };
    let method = req.method;
    for (let hop = 0; hop < 6; hop++) {
      const body = method === 'GET' || method === 'HEAD' || !req.body ? undefined : await req.body();
      const response = await request(url, { method, headers, body, dispatcher: this.dispatcher });
      const location = headerValue(response.headers, 'location');
      if (!REDIRECT_STATUS.has(response.statusCode) || !location || (method !== 'GET' && method !== 'HEAD')) {
        return wrap(url, response);
      }
      await response.body.dump();
      const next = new URL(location, url);
      // Credentials are for the registry: a redirect to storage elsewhere must not carry them.
      if (next.host !== new URL(url).host) {
        const { authorization: _dropped, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
      }
      url = next.toString();
      if (response.statusCode === 303) method = 'GET';
    }
    throw new NetworkError(`${req.what}: too many redirects`);
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
          throw new NetworkError(`response from ${new URL(url).host} is larger than ${limit} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks);
    },
    dump: () => once(() => body.dump().catch(() => undefined), undefined),
  };
}
