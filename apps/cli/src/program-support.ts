import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '@godel/config';
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient } from './api-client';
import { EXIT, toCliError } from './cli-error';
import type { GodelHttp } from './http';
import { Lifecycle } from './lifecycle';
import { createOutput, type Output } from './output';

/** What the command registrations share: argument parsers, the version, failure reporting, the action wrappers. */

export function intArg(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${raw}".`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function version(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'godel' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** Reports a failed command: a message that says what to do next (stderr), plus a JSON document in --json mode. */
export function fail(out: Output, command: string, err: unknown): number {
  const e = toCliError(err);
  out.warn(`${command}: ${e.message}`);
  out.emit({ ok: false, error: e.toJSON() });
  return e.exitCode;
}

/** Runs a command's body with output, lifecycle and error reporting; the body resolves with the exit code. */
export function actFor(setExitCode: (code: number) => void) {
  return (
    <F extends { json?: boolean }>(name: string, body: (flags: F, out: Output, life: Lifecycle, args: string[]) => Promise<number>) =>
    async (...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      const flags = cmd.opts<F>();
      const out = createOutput(!!flags.json);
      const life = new Lifecycle(out);
      try {
        const code = await body(flags, out, life, cmd.args);
        await life.close();
        setExitCode(code);
      } catch (err) {
        await life.close();
        setExitCode(life.interrupted ? EXIT.interrupted : fail(out, name, err));
      } finally {
        life.dispose();
      }
    });
}

/** --url and --json on a command that talks to the API (team, task, dashboard). */
export function apiOptions(c: Command): Command {
  return c.option('--url <url>', 'the Godel server (default: GODEL_URL or http://127.0.0.1:<GODEL_PORT>)').option('--json', 'one JSON document on stdout');
}

export interface ServerFlags {
  url?: string;
  json?: boolean;
}

/** --url and --json on a command that talks to a running server. */
export function serverOptions(cmd: Command): Command {
  return cmd.option('--url <url>', 'Godel server URL (default: GODEL_URL or http://127.0.0.1:7373)').option('--json', 'machine output on stdout (one JSON document, or JSON lines for streams)');
}

/** Runs `fn` with the HTTP client and output of a server command; reports failures with what to do next. */
export function serverAction<A extends unknown[]>(name: string, setExitCode: (code: number) => void, fn: (http: GodelHttp, out: Output, ...args: A) => Promise<number>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.opts<ServerFlags>();
    const out = createOutput(!!flags.json);
    try {
      const config = loadConfig();
      const url = flags.url ?? config.cli.url;
      if (!/^https?:\/\/[^\s/]+/.test(url)) throw new InvalidArgumentError(`--url must be an http(s) URL such as http://127.0.0.1:7373, got "${url}"`);
      const api = await ApiClient.connect(url, { apiKey: config.cli.apiKey, credentialsFile: config.cli.credentialsFile });
      setExitCode(await fn(api.http, out, ...args));
    } catch (err) {
      if (err instanceof InvalidArgumentError) {
        out.warn(`${name}: ${err.message}`);
        out.emit({ ok: false, error: { code: 'cli.usage', message: err.message, exitCode: EXIT.usage } });
        setExitCode(EXIT.usage);
        return;
      }
      setExitCode(fail(out, name, err));
    }
  };
}
