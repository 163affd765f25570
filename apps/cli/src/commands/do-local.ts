import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inheritedEnv, type GodelConfig } from '@godel/config';
import { parse as parseYaml } from 'yaml';
import { ApiClient } from '../api-client';
import { CliError, EXIT } from '../cli-error';
import type { Lifecycle } from '../lifecycle';
import { type Output } from '../output';
import { copySampleRepo } from '../sample-repo';
import { resolveServices } from '../services';
import { serverEntry } from './up';

/** `godel do` without --url: the bundled sample and a local server of its own. */

/** Where the bundled sample lives (source tree or next to dist). */
export function examplesDir(): string {
  const candidates = [join(__dirname, '..', '..', '..', '..', 'examples'), join(__dirname, '..', '..', '..', '..', '..', 'examples')];
  const found = candidates.find((d) => existsSync(join(d, 'calc')));
  if (!found) throw new CliError('do.sample_missing', `the bundled sample (examples/calc) is missing; looked in ${candidates.join(', ')}`, EXIT.usage);
  return found;
}

/** A fresh git repository with the sample's files, under the Godel home. */
export async function sampleRepo(config: GodelConfig): Promise<{ repo: string; playbook: string; intent: string; verify?: string }> {
  const ex = examplesDir();
  const repo = await copySampleRepo(join(config.homeDir, 'samples', Date.now().toString(36)), join(ex, 'calc'));
  const playbook = join(ex, 'calc.playbook.yaml');
  const book = parseYaml(readFileSync(playbook, 'utf8')) as { intent?: string; verify?: string };
  return { repo, playbook, intent: book.intent ?? 'add a calculator library', verify: book.verify };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A Godel server for this command only: local services, the compiled server on a free port. */
export async function startLocalServer(config: GodelConfig, out: Output, life: Lifecycle, repo: string, playbook?: string): Promise<ApiClient> {
  const services = await resolveServices(config, out, life);
  const port = await freePort();
  out.progress(`Starting a local Godel server on port ${port}${playbook ? ' (offline scripted model playing the sample playbook)' : ''}…`);
  // This command's own admin key and signing secret: the server lives as long as the command.
  const adminKey = randomBytes(32).toString('hex');
  const env: Record<string, string | undefined> = {
    ...inheritedEnv(),
    REDIS_URL: services.redis.url,
    DATABASE_URL: services.postgres.url,
    GODEL_PORT: String(port),
    GODEL_ADMIN_KEY: adminKey,
    GODEL_JWT_SECRET: randomBytes(32).toString('hex'),
    // This server works on this one repository (its real path; symlinks are resolved).
    GODEL_REPO_ROOTS: existsSync(repo) ? realpathSync(repo) : repo,
  };
  if (playbook) env.GODEL_PLAYBOOK = playbook;
  const child = spawn(process.execPath, [serverEntry()], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let running = true;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => (running = false));
  life.trackPids(() => (running && child.pid ? [child.pid] : []));
  life.defer('stop the local Godel server', async () => {
    if (!running) return;
    out.progress('Stopping the local Godel server…');
    child.kill('SIGTERM');
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(guard);
  }, 20_000);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (!running) throw new CliError('do.server_exited', `the local Godel server exited while starting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, EXIT.checkFailed);
    const ok = await fetch(`${url}/ready`).then((r) => r.ok).catch(() => false);
    if (ok) return ApiClient.connect(url, { apiKey: adminKey, credentialsFile: config.cli.credentialsFile });
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError('do.server_timeout', 'the local Godel server did not become ready within 60 s: run `godel up --verbose` to see why', EXIT.checkFailed);
}
