// Test helper: source distributions (.tar.gz, shaped like setuptools/poetry output: one `<name>-<version>/`
// folder with PKG-INFO) and a uv project that locks them by file:// URL and sha256, so no index is needed.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { pathToFileURL } from 'node:url';

/** SdistSpec: a project's files (pyproject.toml, sources) under its `<name>-<version>/` folder. */
export interface SdistSpec {
  name: string;
  version: string;
  files: Record<string, string>;
}

/** sdistFilename is the PEP 625 file name: the escaped name, the version, .tar.gz. */
export function sdistFilename(spec: SdistSpec): string {
  return `${spec.name.replace(/[-_.]+/g, '_').toLowerCase()}-${spec.version}.tar.gz`;
}

/** buildSdist returns the .tar.gz bytes of the sdist (fixed mtimes, so the same spec gives the same bytes). */
export async function buildSdist(spec: SdistSpec): Promise<Buffer> {
  const root = sdistFilename(spec).replace(/\.tar\.gz$/, '');
  const tar = pack();
  const files = { 'PKG-INFO': `Metadata-Version: 2.1\nName: ${spec.name}\nVersion: ${spec.version}\n`, ...spec.files };
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    tar.entry({ name: `${root}/${path}`, mode: 0o644, mtime: new Date(315532800_000) }, content);
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** writeSdist writes the sdist into `dir` and returns its path and sha256. */
export async function writeSdist(dir: string, spec: SdistSpec, data?: Buffer): Promise<{ path: string; sha256: string }> {
  await mkdir(dir, { recursive: true });
  const bytes = data ?? (await buildSdist(spec));
  const path = join(dir, sdistFilename(spec));
  await writeFile(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** writeUvProject writes `dir/pyproject.toml` and `dir/uv.lock` for a project needing each sdist (pinned by sha256). */
export async function writeUvProject(dir: string, sdists: Array<{ spec: SdistSpec; path: string; sha256: string }>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const deps = sdists.map(({ spec }) => `"${spec.name}==${spec.version}"`).join(', ');
  await writeFile(join(dir, 'pyproject.toml'), `[project]\nname = "sdist-app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = [${deps}]\n`);
  const packages = sdists.map(({ spec, path, sha256 }) => `[[package]]
name = "${spec.name}"
version = "${spec.version}"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "${pathToFileURL(path).toString()}", hash = "sha256:${sha256}" }
`);
  const root = `[[package]]
name = "sdist-app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [${sdists.map(({ spec }) => `{ name = "${spec.name}" }`).join(', ')}]
`;
  await writeFile(join(dir, 'uv.lock'), `version = 1\nrequires-python = ">=3.9"\n\n${[...packages, root].join('\n')}`);
}

/** COMPILED_SDIST is a setuptools sdist with a tiny C extension (`tiny_ext.answer()` is 42): it needs a compiler. */
export const COMPILED_SDIST: SdistSpec = {
  name: 'tiny-ext',
  version: '0.1',
  files: {
    'pyproject.toml': '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "tiny-ext"\nversion = "0.1"\n',
    'setup.py': 'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("tiny_ext", ["tiny_ext.c"])])\n',
    'tiny_ext.c': [
      '#define PY_SSIZE_T_CLEAN',
      '#include <Python.h>',
      'static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }',
      'static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, "The answer."}, {NULL, NULL, 0, NULL}};',
      'static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "tiny_ext", NULL, -1, methods};',
      'PyMODINIT_FUNC PyInit_tiny_ext(void) { return PyModule_Create(&module); }',
      '',
    ].join('\n'),
  },
};
