import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs git (test side, plain env) and returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-c', 'user.name=T', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd, env: ENV });
  return stdout.trim();
}

/** A bare repository at `<base>/<name>.git` holding one commit on `main` with `files`. */
export async function makeBareRemote(base: string, name: string, files: Record<string, string>): Promise<string> {
  const bare = join(base, `${name}.git`);
  const seed = join(base, `${name}-seed`);
  await exec('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ENV });
  await exec('git', ['init', '-q', '-b', 'main', seed], { env: ENV });
  const { writeFile, mkdir } = await import('node:fs/promises');
  for (const [f, t] of Object.entries(files)) {
    await mkdir(join(seed, f, '..'), { recursive: true });
    await writeFile(join(seed, f), t);
  }
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '-q', '-m', 'initial');
  await git(seed, 'push', '-q', bare, 'main:main');
  return bare;
}

/** `git daemon` on loopback serving every repository under `basePath`, pushes allowed (on `port`: a daemon started again where it was). */
export async function startGitDaemon(basePath: string, at?: number): Promise<{ url: (name: string) => string; stop(): Promise<void>; child: ChildProcess; port: number }> {
  const port = at ?? (await freePort());
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${basePath}`, `--port=${port}`, '--listen=127.0.0.1', basePath], { env: ENV, stdio: 'ignore' });
  const url = (name: string) => `git://127.0.0.1:${port}/${name}.git`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await exec('git', ['ls-remote', url('__probe__')], { env: ENV, timeout: 5000 });
      break;
    } catch (err) {
      // A served-but-missing repository answers "not found"/hangs up: the daemon is up.
      if (/access denied|not exported|hung up|repository not found/i.test(String((err as { stderr?: string }).stderr))) break;
      if (Date.now() > deadline) throw new Error(`git daemon did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    child,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Smart-HTTP git over TLS on loopback (`git http-backend` behind a node https server) requiring
 * Basic auth `user:password`; `caFile` is the self-signed certificate to trust. `setPassword` changes
 * the password the server accepts (a revoked or rotated token).
 */
export async function startHttpsGit(
  dir: string,
  projectRoot: string,
  user: string,
  password: string,
): Promise<{ url: (name: string) => string; caFile: string; stop(): Promise<void>; requests: () => number; setPassword(p: string): void }> {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { env: ENV });
  let requests = 0;
  const server: Server = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    requests++;
    const auth = req.headers.authorization ?? '';
    if (auth !== `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      return res.end();
    }
    const u = new URL(req.url ?? '/', 'https://127.0.0.1');
    const cgi = spawn('git', ['http-backend'], {
      env: { ...ENV, GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: u.pathname, QUERY_STRING: u.search.slice(1), REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_USER: user, REMOTE_ADDR: '127.0.0.1', HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''), GIT_HTTP_MAX_REQUEST_BUFFER: '100M' },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headerDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: (name) => `https://127.0.0.1:${port}/${name}.git`,
    caFile: cert,
    setPassword: (p) => void (password = p),
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
