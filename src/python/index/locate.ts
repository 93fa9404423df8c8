// FileLocator: where to download a locked file from when the lock names only its file name: the
// --find-links folders first (local, no network), then each index in order.
import { fileURLToPath } from 'node:url';
import { isAbsolute } from 'node:path';
import { KilnError, ResolutionError } from '../../errors.js';
import { normalizeName, parseWheelFilename } from '../wheel/filename.js';
import { findLinksFiles } from './find-links.js';
import { SimpleIndex } from './simple-client.js';
import type { IndexFile } from './simple-page.js';

/** FileLocator lists a package's available files across find-links folders and indexes, each asked once. */
export class FileLocator {
  private readonly folders: Map<string, Promise<IndexFile[]>> = new Map();
  private readonly pages: Map<string, Promise<IndexFile[]>> = new Map();
  readonly indexes: SimpleIndex[];

  /** findLinks are folders (absolute paths or file: URLs); indexUrls are simple-index roots, primary first. */
  constructor(private readonly findLinks: readonly string[], indexUrls: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.indexes = [...new Set(indexUrls.map((url) => url.replace(/\/+$/, '')))].map((url) => new SimpleIndex(url, { env }));
  }

  /** headersFor adds an index's credentials to downloads from its host. */
  headersFor(url: string): Record<string, string> {
    return Object.assign({}, ...this.indexes.map((index) => index.headersFor(url))) as Record<string, string>;
  }

  private folder(dir: string): Promise<IndexFile[]> {
    let listing = this.folders.get(dir);
    if (!listing) this.folders.set(dir, (listing = findLinksFiles(dir.startsWith('file:') ? fileURLToPath(dir) : dir)));
    return listing;
  }

  private page(index: SimpleIndex, project: string): Promise<IndexFile[]> {
    const key = `${index.url}\0${normalizeName(project)}`;
    let listing = this.pages.get(key);
    if (!listing) this.pages.set(key, (listing = index.projectFiles(project)));
    return listing;
  }

  private localFolders(): string[] {
    return this.findLinks.filter((entry) => entry.startsWith('file:') || isAbsolute(entry));
  }

  /**
   * files lists what the sources offer for `project`, stopping at the first source that has `wanted` (when
   * given) or gathering all of them. An index that cannot be reached is an error only if no source has it.
   */
  async files(project: string, wanted?: (file: IndexFile) => boolean): Promise<IndexFile[]> {
    const name = normalizeName(project);
    const found: IndexFile[] = [];
    for (const dir of this.localFolders()) {
      const ours = (await this.folder(dir)).filter((file) => distributionOf(file.filename) === name);
      found.push(...ours);
      if (wanted && ours.some(wanted)) return found;
    }
    let failure: unknown;
    for (const index of this.indexes) {
      try {
        const listed = await this.page(index, project);
        found.push(...listed);
        if (wanted && listed.some(wanted)) return found;
      } catch (error) {
        if (!(error instanceof KilnError)) throw error;
        failure ??= error;
      }
    }
    if (failure && (wanted ? !found.some(wanted) : found.length === 0)) throw failure;
    return found;
  }

  /** url finds `filename` of `project`; not finding it anywhere is a ResolutionError naming both. */
  async url(project: string, filename: string): Promise<string> {
    const files = await this.files(project, (file) => file.filename === filename);
    const file = files.find((candidate) => candidate.filename === filename);
    if (file) return file.url;
    const where = [...this.localFolders(), ...this.indexes.map((index) => index.url)];
    throw new ResolutionError(`${project}: ${filename} is not in ${where.length ? where.join(', ') : 'any find-links folder or index (none configured)'}`);
  }
}

// The normalised project name of a wheel or sdist file name (an sdist's version is its last `-` part).
function distributionOf(filename: string): string {
  if (filename.endsWith('.whl')) return normalizeName(parseWheelFilename(filename).distribution);
  return normalizeName(filename.replace(/\.(tar\.gz|zip)$/, '').replace(/-[^-]*$/, ''));
}
