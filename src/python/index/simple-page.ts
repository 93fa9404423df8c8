// Parsers for a project's page on a simple index: PEP 691 JSON and PEP 503 HTML, into one shape.
import { z } from 'zod';
import { InputError } from '../../errors.js';
import type { FileHashes } from '../types.js';

/** IndexFile is one distribution file an index lists for a project. */
export interface IndexFile {
  filename: string;
  /** url is absolute (resolved against the page's URL). */
  url: string;
  hashes: FileHashes;
  requiresPython?: string;
  /** yanked is the reason (or '') when the file is yanked (PEP 592). */
  yanked?: string;
}

const JsonPage = z.object({
  meta: z.object({ 'api-version': z.string() }).passthrough(),
  files: z.array(z.object({
    filename: z.string(),
    url: z.string(),
    hashes: z.record(z.string(), z.string()),
    'requires-python': z.string().nullish(),
    yanked: z.union([z.boolean(), z.string()]).nullish(),
  }).passthrough()),
}).passthrough();

/** parseJsonPage reads a PEP 691 project page; `what` names the page in errors. */
export function parseJsonPage(text: string, pageUrl: string, what: string): IndexFile[] {
  let page: z.infer<typeof JsonPage>;
  try {
    page = JsonPage.parse(JSON.parse(text));
  } catch (error) {
    throw new InputError(`${what}: not a valid PEP 691 page: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  if (!page.meta['api-version'].startsWith('1.')) throw new InputError(`${what}: unsupported simple API version ${page.meta['api-version']}`);
  return page.files.map((file) => ({
    filename: file.filename,
    url: new URL(file.url, pageUrl).toString(),
    hashes: Object.fromEntries(Object.entries(file.hashes).map(([k, v]) => [k, v.toLowerCase()])),
    ...(file['requires-python'] ? { requiresPython: file['requires-python'] } : {}),
    ...(file.yanked ? { yanked: file.yanked === true ? '' : file.yanked } : {}),
  }));
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!match) return undefined;
  return unescapeHtml(match[1] ?? match[2] ?? match[3] ?? '');
}

/** parseHtmlPage reads a PEP 503 project page: anchors whose fragment carries a hash (`#sha256=...`). */
export function parseHtmlPage(html: string, pageUrl: string): IndexFile[] {
  const base = /<base\s[^>]*href\s*=\s*["']([^"']+)["']/i.exec(html)?.[1] ?? pageUrl;
  const files: IndexFile[] = [];
  for (const match of html.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a>/gi)) {
    const tag = ` ${match[1]}`;
    const href = attribute(tag, 'href');
    if (!href) continue;
    const url = new URL(href, new URL(base, pageUrl));
    const hashes: FileHashes = {};
    const fragment = /^#(\w+)=([0-9a-fA-F]+)$/.exec(url.hash);
    if (fragment) hashes[fragment[1]!] = fragment[2]!.toLowerCase();
    url.hash = '';
    const filename = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    const requiresPython = attribute(tag, 'data-requires-python');
    const yanked = attribute(tag, 'data-yanked');
    files.push({ filename, url: url.toString(), hashes, ...(requiresPython ? { requiresPython } : {}), ...(yanked !== undefined ? { yanked } : {}) });
  }
  return files;
}
