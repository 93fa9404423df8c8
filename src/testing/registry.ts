// A real registry for tests: Debian's `docker-registry` (distribution) on a free loopback port in a
// temp dir, optionally behind htpasswd Basic auth or token auth served by an in-process token server.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** TestRegistryOptions choose the registry's authentication. */
export interface TestRegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  user?: string;
  password?: string;
}

/** TokenRequest records one call to the token server, to assert which grant was used. */
export interface TokenRequest {
  method: string;
  grant: 'anonymous' | 'password' | 'refresh_token';
  scopes: string[];
}

/** TestRegistry is a running registry; `host` is what references use (`127.0.0.1:PORT`). */
export interface TestRegistry {
  host: string;
  dir: string;
  user: string;
  password: string;
  /** tokenRequests lists token server calls (token auth only). */
  tokenRequests: TokenRequest[];
  stop(): Promise<void>;
}

/** freePort asks the OS for an unused loopback port. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function ping(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitFor(url: string, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${await readFile(log, 'utf8').catch(() => '')}`);
    if (await ping(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer at ${url}`);
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface TokenServer {
  realm: string;
  requests: TokenRequest[];
  close(): Promise<void>;
}

// Issues JWTs the way distribution's token spec wants: RS256, the signing certificate in `x5c`.
async function startTokenServer(dir: string, user: string, password: string, service: string, issuer: string): Promise<TokenServer & { certFile: string }> {
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=kiln-test-token', '-days', '2']);
  const key: KeyObject = createPrivateKey(await readFile(keyFile));
  const certDer = new X509Certificate(await readFile(certFile)).raw.toString('base64');
  const refreshTokens = new Set<string>();
  const requests: TokenRequest[] = [];

  const issue = (subject: string, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type, name, actions] = scope.split(':');
      return { type, name, actions: (actions ?? '').split(',').filter(Boolean) };
    }).filter((entry) => subject !== '');
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${base64url(sign('RSA-SHA256', Buffer.from(signingInput), key))}`;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const form = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
      const scopes = form.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const deny = (): void => void res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"denied"}');
      let subject = '';
      let grant: TokenRequest['grant'] = 'anonymous';
      if (req.method === 'POST' && form.get('grant_type') === 'refresh_token') {
        grant = 'refresh_token';
        if (!refreshTokens.has(form.get('refresh_token') ?? '')) return deny();
        subject = user;
      } else if (req.headers.authorization?.startsWith('Basic ')) {
        grant = 'password';
        const [u, ...p] = Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8').split(':');
        if (u !== user || p.join(':') !== password) return deny();
        subject = user;
      }
      requests.push({ method: req.method ?? 'GET', grant, scopes });
      const body: Record<string, unknown> = { token: issue(subject, scopes), expires_in: 300, issued_at: new Date().toISOString() };
      if (subject && form.get('offline_token') === 'true') {
        const refresh = randomBytes(16).toString('hex');
        refreshTokens.add(refresh);
        body.refresh_token = refresh;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    certFile,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** startRegistry starts a fresh, empty registry; call stop() to kill it and delete its storage. */
export async function startRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-registry-'));
  const user = options.user ?? 'kiln';
  const password = options.password ?? `pw-${randomBytes(6).toString('hex')}`;
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log: {level: warn, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
    `http: {addr: 127.0.0.1:${port}, secret: ${randomBytes(8).toString('hex')}}`,
  ];
  let tokenServer: (TokenServer & { certFile: string }) | undefined;
  if (options.auth === 'htpasswd') {
    await run('htpasswd', ['-Bbc', join(dir, 'htpasswd'), user, password]);
    lines.push(`auth: {htpasswd: {realm: kiln-test, path: ${join(dir, 'htpasswd')}}}`);
  } else if (options.auth === 'token') {
    tokenServer = await startTokenServer(dir, user, password, 'kiln-test-registry', 'kiln-test-issuer');
    lines.push(`auth: {token: {realm: "${tokenServer.realm}", service: kiln-test-registry, issuer: kiln-test-issuer, rootcertbundle: ${tokenServer.certFile}}}`);
  }
  await writeFile(join(dir, 'config.yml'), lines.join('\n') + '\n');
  const log = join(dir, 'registry.log');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(log, 'a');
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  try {
    await waitFor(`http://127.0.0.1:${port}/v2/`, child, log);
  } catch (error) {
    child.kill('SIGKILL');
    await tokenServer?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: `127.0.0.1:${port}`,
    dir,
    user,
    password,
    tokenRequests: tokenServer?.requests ?? [],
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await tokenServer?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
