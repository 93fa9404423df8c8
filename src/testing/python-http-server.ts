// A stock `python3 -m http.server` over a directory: an HTTP/1.0 server that closes every connection after
// one response, the way many hand-made apt mirrors and wheel folders are served.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './registry.js';

/** PythonHttpServer is a running server; `url` is its base (no trailing slash). */
export interface PythonHttpServer {
  url: string;
  close(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** startPythonHttpServer serves `dir` with /usr/bin/python3 until close() is called. */
export async function startPythonHttpServer(dir: string, python = '/usr/bin/python3'): Promise<PythonHttpServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(python, ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; !(await accepts(port)); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill();
      throw new Error(`${python} -m http.server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      child.kill();
      await exited;
    },
  };
}
