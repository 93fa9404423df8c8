// Inputs many corpus cases share (a small OCI layout and docker-archive with a Python 3.11 stand-in, made
// once per run) and helpers that make or break inputs: layouts, wheels, locks.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { BlobStore } from '../../src/cache/blob-store.js';
import { sha256, type Digest } from '../../src/oci/digest.js';
import type { ImageConfig, Index, Manifest } from '../../src/oci/spec.js';
import { writeImage } from '../../src/places/index.js';
import { imageWithLayers } from '../../src/testing/images.js';
import { wheelFilename, type WheelSpec } from '../../src/testing/wheels.js';

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

/** writeFilesImage writes a one-layer image of `files` as an OCI layout at `layout`, tagged `tag`. */
export async function writeFilesImage(layout: string, tag: string, files: Record<string, string>): Promise<void> {
  const store = new BlobStore(`${layout}.store`);
  await writeImage(`oci:${layout}:${tag}`, await imageWithLayers(store, files), { store });
}

/** copyPythonBase copies the shared OCI layout to `dest` (cases that tamper with it need their own copy). */
export async function copyPythonBase(shared: string, dest: string): Promise<void> {
  await cp(join(shared, 'python-base'), dest, { recursive: true });
}

function blobFile(layout: string, digest: string): string {
  return join(layout, 'blobs', ...digest.split(':'));
}

/** editLayoutConfig rewrites the config of a one-image layout and re-digests manifest and index, so only the edit is wrong. */
export async function editLayoutConfig(layout: string, edit: (config: ImageConfig) => void): Promise<void> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  const manifest = JSON.parse(await readFile(blobFile(layout, index.manifests[0]!.digest), 'utf8')) as Manifest;
  const config = JSON.parse(await readFile(blobFile(layout, manifest.config.digest), 'utf8')) as ImageConfig;
  edit(config);
  const write = async (data: Buffer): Promise<{ digest: Digest; size: number }> => {
    const digest = sha256(data);
    await writeFile(blobFile(layout, digest), data);
    return { digest, size: data.length };
  };
  manifest.config = { ...manifest.config, ...(await write(Buffer.from(JSON.stringify(config)))) };
  index.manifests[0] = { ...index.manifests[0]!, ...(await write(Buffer.from(JSON.stringify(manifest)))) };
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
}

/** layerBlob is the path of a one-image layout's first layer blob. */
export async function layerBlob(layout: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  const manifest = JSON.parse(await readFile(blobFile(layout, index.manifests[0]!.digest), 'utf8')) as Manifest;
  return blobFile(layout, manifest.layers[0]!.digest);
}

/** TINY_WHEEL is the one-package wheel the Python cases install (or break). */
export const TINY_WHEEL: WheelSpec = { name: 'tinyformat', version: '1.2.0', files: { 'tinyformat/__init__.py': 'def shout(text):\n    return text.upper()\n' } };

/**
 * writeLockedWheel puts a wheel into dir/wheels (a find-links folder) and pins it in dir/requirements.txt.
 * The lock pins `locked` (default: the very bytes written), so a case can make the two disagree.
 */
export async function writeLockedWheel(dir: string, data: Buffer, options: { filename?: string; locked?: Buffer } = {}): Promise<void> {
  await mkdir(join(dir, 'wheels'), { recursive: true });
  await writeFile(join(dir, 'wheels', options.filename ?? wheelFilename(TINY_WHEEL)), data);
  const hash = createHash('sha256').update(options.locked ?? data).digest('hex');
  await writeFile(join(dir, 'requirements.txt'), `tinyformat==1.2.0 \\\n    --hash=sha256:${hash}\n`);
}

/** patchZipSize makes a zip's local header and central record both declare `size` bytes for member `name`. */
export function patchZipSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  let patched = 0;
  for (let at = 0; at + 46 <= out.length; at++) {
    const signature = out.readUInt32LE(at);
    if (signature === 0x04034b50 && out.toString('utf8', at + 30, at + 30 + out.readUInt16LE(at + 26)) === name) {
      out.writeUInt32LE(size, at + 22);
      patched++;
    } else if (signature === 0x02014b50 && out.toString('utf8', at + 46, at + 46 + out.readUInt16LE(at + 28)) === name) {
      out.writeUInt32LE(size, at + 24);
      patched++;
    }
  }
  if (patched !== 2) throw new Error(`patchZipSize: ${name} found ${patched} times, expected a header and a central record`);
  return out;
}

/** silentServer accepts TCP connections on a loopback port and never sends a byte (a hung registry or index). */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
