// --find-links directories: a local folder of distribution files stands in for an index.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../errors.js';
import type { IndexFile } from './simple-page.js';

/** findLinksFiles lists the wheels and sdists in a directory as file:// URLs (no hashes: the lock supplies them). */
export async function findLinksFiles(dir: string): Promise<IndexFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new InputError(`find-links directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return names
    .filter((name) => /\.(whl|tar\.gz|zip)$/.test(name))
    .sort()
    .map((filename) => ({ filename, url: pathToFileURL(join(dir, filename)).toString(), hashes: {} }));
}
