// The issue 6 matrix project: 2 servers x 2 Pythons (bookworm = 3.11, trixie = 3.13) x 2 variants.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** MatrixRegistry is a registry kiln.yaml names; `auth` adds credential env vars. */
export interface MatrixRegistry {
  name: string;
  host: string;
  auth?: { usernameEnv: string; passwordEnv: string };
}

/** matrixServer is a stdlib HTTP server answering {server, python, device}. */
export function matrixServer(name: string): string {
  return `import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"server": "${name}", "python": "%d.%d" % sys.version_info[:2], "device": os.environ.get("DEVICE", "cpu")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
`;
}

/** matrixManifest is the project's kiln.yaml; `extraOverride` adds one more override to every image. */
export function matrixManifest(registries: MatrixRegistry[], extraOverride = ''): string {
  const registryLines = registries.map((r) => `  ${r.name}: { repository: "${r.host}/kiln", insecure: true${r.auth ? `, username_env: ${r.auth.usernameEnv}, password_env: ${r.auth.passwordEnv}` : ''} }\n`).join('');
  return `# 2 servers x 2 Python versions x 2 variants
defaults:
  entrypoint: [python3, /app/server.py]
  env: { PORT: "8080", PYTHONUNBUFFERED: "1" }
  ports: [8080]
presets:
  server:
    base: { distro: debian, packages: [python3] }
    tags: ["py{python}-{variant}", "{version}-py{python}-{variant}"]
${registries.length ? `registries:\n${registryLines}` : ''}version_file: version.txt
images:
${['server-a', 'server-b'].map((name) => `  ${name}:
    extends: server
    app: { src: ${name} }
    matrix: { python: ["3.11", "3.13"], variant: [cpu, gpu] }
    overrides:
      - when: { python: "3.11" }
        set: { base: { release: bookworm } }
      - when: { python: "3.13" }
        set: { base: { release: trixie } }
      - when: { variant: gpu }
        set: { env: { DEVICE: cuda }, labels: { accelerator: nvidia } }
${extraOverride}`).join('')}`;
}

/** writeMatrixProject writes the two servers, version.txt (0.3.0) and kiln.yaml into `dir`. */
export async function writeMatrixProject(dir: string, registries: MatrixRegistry[] = []): Promise<string> {
  for (const name of ['server-a', 'server-b']) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'server.py'), matrixServer(name));
  }
  await writeFile(join(dir, 'version.txt'), '0.3.0\n');
  await writeFile(join(dir, 'kiln.yaml'), matrixManifest(registries));
  return dir;
}
