import type { GodelConfig } from '@godel/config';
import { CliError, EXIT } from '../cli-error';
import type { Output } from '../output';
import type { ApiFlags } from './api';

/** `godel dashboard`: the dashboard's URL on the server (checked to answer); the page asks for an API key. */
export async function dashboardUrl(flags: ApiFlags, config: GodelConfig, out: Output): Promise<number> {
  let base: URL;
  try {
    base = new URL(flags.url ?? config.cli.url);
  } catch {
    throw new CliError('cli.bad_url', `--url ${flags.url ?? config.cli.url} is not a URL: pass the server's address, e.g. http://127.0.0.1:7373`, EXIT.usage);
  }
  const url = new URL('/dashboard', base).toString();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError('server.unreachable', `cannot reach the Godel server at ${base.origin} (${why}): is the server running? start it with \`godel up\`, or pass the right --url`, EXIT.unreachable);
  });
  if (!res.ok) throw new CliError('dashboard.missing', `${base.origin} answered ${res.status} for /dashboard: is it a Godel server? Pass the right --url`, EXIT.checkFailed);
  out.print(`${url}\n(log in on the page with an API key; \`godel auth keys create --role viewer\` makes one for watching)`);
  out.emit({ ok: true, url });
  return EXIT.ok;
}
