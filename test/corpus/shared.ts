// Inputs many corpus cases share, made once per run: small bases (an OCI layout with a Python 3.11
// stand-in, and the same image as a docker-archive) and a tiny wheel set for find-links.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/cache/blob-store.js';
import { writeImage } from '../../src/places/index.js';
import { imageWithLayers } from '../../src/testing/images.js';

const DPKG_STATUS = [
  'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u7\n',
  'Package: libpython3.11-minimal\nStatus: install ok installed\nVersion: 3.11.2-6+deb12u6\n',
].join('\n');

/** PYTHON_BASE_FILES is a Debian-like root with a Python 3.11 interpreter stand-in: enough for kiln to pick wheels and lay out a venv. */
export const PYTHON_BASE_FILES: Record<string, string> = {
  'usr/bin/python3.11': 'ELF',
  'usr/bin/python3': 'ELF',
  'usr/lib/python3.11/os.py': '',
  'var/lib/dpkg/status': DPKG_STATUS,
  'etc/os-release': 'ID=debian\nVERSION_CODENAME=bookworm\n',
};

/** makeShared writes the shared inputs under `dir`: python-base (oci layout, tag "base") and python-base.tar. */
export async function makeShared(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const store = new BlobStore(join(dir, '.store'));
  const image = await imageWithLayers(store, PYTHON_BASE_FILES);
  await writeImage(`oci:${join(dir, 'python-base')}:base`, image, { store });
  await writeImage(`docker-archive:${join(dir, 'python-base.tar')}:corpus/python-base:1`, image, { store });
}
