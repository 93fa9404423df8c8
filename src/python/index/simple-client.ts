// SimpleIndex: one PEP 503/691 index, asked for a project's files (JSON preferred, HTML accepted).
import { InputError, NetworkError } from '../../errors.js';
import { HttpClient } from '../../http/client.js';
import { normalizeName } from '../wheel/filename.js';
import { authorizationHeader, findCredentials, stripCredentials, type BasicCredentials, type CredentialSources } from './credentials.js';
import { parseHtmlPage, parseJsonPage, type IndexFile } from './simple-page.js';

/** DEFAULT_INDEX is PyPI's simple API. */
export const DEFAULT_INDEX = 'https://pypi.org/simple';

const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

/** SimpleIndexOptions name the index (for KILN_INDEX_<NAME>_* credentials) and where credentials come from. */
export interface SimpleIndexOptions extends CredentialSources {
  name?: string;
  /** credentials override every other source. */
  credentials?: BasicCredentials;
  /** http is the client to use (timeouts and retries from KILN_HTTP_* by default). */
  http?: HttpClient;
}

/** SimpleIndex lists a project's files on one index; credentials go only to the index's own host. */
export class SimpleIndex {
  /** url is the index root without credentials, safe to print. */
  readonly url: string;
  private readonly credentials?: BasicCredentials;
  private readonly http: HttpClient;

  constructor(url: string = DEFAULT_INDEX, options: SimpleIndexOptions = {}) {
    this.url = stripCredentials(url).replace(/\/+$/, '');
    this.http = options.http ?? new HttpClient({ env: options.env });
    this.credentials = options.credentials ?? findCredentials(url, options.name, options);
  }

  /** headersFor adds Authorization when `url` is on the index's host. */
  headersFor(url: string): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.credentials && new URL(url).host === new URL(this.url).host) headers.authorization = authorizationHeader(this.credentials);
    return headers;
  }

  /** projectFiles lists the files of `project`; an unreachable index is a NetworkError naming it and the package. */
  async projectFiles(project: string): Promise<IndexFile[]> {
    const pageUrl = `${this.url}/${normalizeName(project)}/`;
    const what = `index ${this.url} (package ${project})`;
    // The page is read inside the retry loop: a reset or a stall mid-page is retried like one before it.
    const page = await this.http.read({ method: 'GET', url: pageUrl, headers: { accept: ACCEPT, ...this.headersFor(pageUrl) }, what }, async (response) => {
      if (response.status === 404) throw new InputError(`${what}: the index has no project "${project}"`);
      if (response.status === 401 || response.status === 403) throw new NetworkError(`${what}: access denied (HTTP ${response.status}); check ~/.netrc or KILN_INDEX_<NAME>_USERNAME/_PASSWORD`);
      if (response.status !== 200) throw new NetworkError(`${what}: GET ${pageUrl}: HTTP ${response.status}`);
      return { text: (await response.buffer()).toString('utf8'), type: response.header('content-type') ?? '', url: response.url };
    });
    return page.type.includes('application/vnd.pypi.simple.v1+json') ? parseJsonPage(page.text, page.url, what) : parseHtmlPage(page.text, page.url);
  }
}
