import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_RUN_DIR } from './bwrap-args';

/** Inside the sandbox, the egress proxy answers on this loopback port (HTTPS_PROXY). */
export const EGRESS_PROXY_PORT = 3128;

/**
 * The relay that runs inside the sandbox (its own network namespace has only loopback): for each
 * `[port, socket]` it listens on 127.0.0.1:port and pipes every connection to the unix socket the
 * host bound in. Plain Node, passed with `node -e`, so it needs no file and no build step.
 *
 * Arguments: the `[port, socket]` list as JSON, then the pid of the command it serves (its parent:
 * the shell that started it execs the command). It exits at start and at every second once that
 * is no longer its parent, i.e. the command is gone, however it ended. bwrap's pid namespace is not
 * enough: when the outer bwrap dies while the sandbox starts (the server SIGKILLed), bwrap's init
 * may never get its parent-death signal and then waits, forever, for every process left inside.
 */
export const INSIDE_RELAY_SOURCE = [
  "const net=require('net'),cmd=Number(process.argv[2]);",
  'const alone=()=>{if(process.ppid!==cmd)process.exit(0);};',
  'alone();setInterval(alone,1000).unref();',
  'for(const [port,sock] of JSON.parse(process.argv[1])){',
  "net.createServer((c)=>{const u=net.connect(sock);c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());})",
  ".on('error',(e)=>{process.stderr.write('godel sandbox relay: '+e.message+'\\n');}).listen(port,'127.0.0.1');}",
].join('');

export interface RelaySet {
  /** Host folder of the sockets (bound read-only at SANDBOX_RUN_DIR/net). */
  dir: string;
  /** `[port, socket path inside]` for the inside relay. */
  inside: Array<[number, string]>;
  close(): Promise<void>;
}

/**
 * The host side: one unix socket per allowed loopback port, each connecting only to
 * 127.0.0.1:port, plus (when `egressHosts` is not empty) an HTTP CONNECT proxy that opens tunnels
 * only to those `host:port`s. Nothing else on the host is reachable from inside.
 */
export async function openRelays(loopbackPorts: readonly number[], egressHosts: readonly string[], onDenied?: (target: string) => void): Promise<RelaySet> {
  const dir = await mkdtemp(join(tmpdir(), 'gsb-'));
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const inside: Array<[number, string]> = [];
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const listen = async (name: string, onConnection: (c: Socket) => void) => {
    const server = createServer((c) => {
      track(c);
      onConnection(c);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(join(dir, name), () => resolve()));
    servers.push(server);
  };
  for (const port of [...new Set(loopbackPorts)]) {
    if (!Number.isInteger(port) || port <= 0 || port > 65535 || port === EGRESS_PROXY_PORT) throw new TypeError(`sandbox: bad loopback port ${port}`);
    await listen(`p${port}.sock`, (c) => {
      const upstream = connect(port, '127.0.0.1');
      track(upstream);
      c.pipe(upstream).pipe(c);
      upstream.on('error', () => c.destroy());
      c.on('error', () => upstream.destroy());
    });
    inside.push([port, `${SANDBOX_RUN_DIR}/net/p${port}.sock`]);
  }
  if (egressHosts.length > 0) {
    const allowed = new Set(egressHosts.map((h) => h.toLowerCase()));
    await listen('egress.sock', (c) => connectProxy(c, allowed, track, onDenied));
    inside.push([EGRESS_PROXY_PORT, `${SANDBOX_RUN_DIR}/net/egress.sock`]);
  }
  let closed: Promise<void> | undefined;
  return {
    dir,
    inside,
    close() {
      closed ??= (async () => {
        for (const s of sockets) s.destroy();
        await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

const MAX_HEAD = 8192;

/** A minimal CONNECT-only proxy: `CONNECT host:port` to an allowed target gets a tunnel, anything else 403/405. */
function connectProxy(c: Socket, allowed: Set<string>, track: (s: Socket) => void, onDenied?: (target: string) => void): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEAD) c.end('HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n');
      return;
    }
    c.off('data', onData);
    const [method = '', target = ''] = head.subarray(0, head.indexOf('\r\n')).toString('latin1').split(' ');
    const rest = head.subarray(end + 4);
    if (method.toUpperCase() !== 'CONNECT') {
      onDenied?.(`${method} ${target}`.slice(0, 300));
      c.end('HTTP/1.1 405 Method Not Allowed\r\ncontent-type: text/plain\r\n\r\ngodel sandbox: only CONNECT to the configured model providers is allowed\n');
      return;
    }
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
    if (!m || !allowed.has(target.toLowerCase())) {
      onDenied?.(target.slice(0, 300));
      c.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\ngodel sandbox: ${target.slice(0, 200)} is not a configured model provider\n`);
      return;
    }
    const upstream = connect(Number(m[2]), m[1]);
    track(upstream);
    upstream.once('connect', () => {
      c.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (rest.length > 0) upstream.write(rest);
      c.pipe(upstream).pipe(c);
    });
    upstream.once('error', (err) => {
      if (c.writable) c.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${err.message}\n`);
    });
  };
  c.on('data', onData);
}
