// HTTP for registries: the shared floor (src/http) plus what is registry-specific: which registries may be
// spoken to over plain HTTP, and where a registry's API lives.
import { HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse } from '../http/client.js';
import { isLoopbackRegistry, registryApiHost } from './reference.js';

export type { BodySource, HttpMethod, HttpRequest, HttpResponse } from '../http/client.js';

/** TransportOptions tune how kiln talks HTTP to registries. */
export interface TransportOptions extends HttpClientOptions {
  /** insecure lists registries (host[:port]) that may be spoken to over plain HTTP; loopback always may. */
  insecure?: string[];
}

/** Transport sends registry requests; one is shared by all clients of a push or pull. */
export class Transport {
  readonly http: HttpClient;
  private readonly insecure: Set<string>;

  constructor(options: TransportOptions = {}) {
    const { insecure, ...http } = options;
    this.http = new HttpClient(http);
    this.insecure = new Set((insecure ?? []).map((host) => host.toLowerCase()));
  }

  /** retries is how many further attempts a retryable failure gets. */
  get retries(): number {
    return this.http.retries;
  }

  /** baseUrl is where a registry's API lives: https, or http only for loopback and insecure registries. */
  baseUrl(registry: string): string {
    const plain = isLoopbackRegistry(registry) || this.insecure.has(registry.toLowerCase());
    return `${plain ? 'http' : 'https'}://${registryApiHost(registry)}`;
  }

  /** backoff is the delay before retry number `attempt` (0-based): exponential with jitter, or Retry-After. */
  backoff(attempt: number, retryAfter?: string): number {
    return this.http.backoff(attempt, retryAfter);
  }

  /** request sends with retries; it returns any final HTTP status and throws NetworkError only when the server cannot be reached. */
  request(req: HttpRequest): Promise<HttpResponse> {
    return this.http.request(req);
  }

  /** read sends a request and consumes its response inside the retry loop (a reset mid-body is retried). */
  read<T>(req: HttpRequest, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    return this.http.read(req, consume);
  }
}
