import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { agentAddress, type AgentState } from '@godel/agents';
import type { StepRequest } from '@godel/testing';

type Msg = StepRequest['body']['messages'][number];
const messageText = (m: Msg | undefined): string =>
  !m ? '' : typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((c) => c.text ?? '').join('') : '';
import { createAgentFixture, type AgentFixture } from '../agents/agent-fixture';

/** Secrets planted in the "server" environment; an attack wins if it sees any of their values. */
export const PLANTED: Record<string, string> = {
  GODEL_JWT_SECRET: 'jwt-secret-0123456789abcdef0123456789abcdef',
  GODEL_ADMIN_KEY: 'admin-key-0123456789abcdef0123456789abcdef',
  GODEL_API_KEY: 'users-own-godel-key-0123456789abcdef',
  DATABASE_URL: 'postgres://godel:db-password-4711@127.0.0.1:5432/godel',
  REDIS_URL: 'redis://127.0.0.1:6379/0?planted=redis-url-4711',
  OTHER_PROVIDER_API_KEY: 'other-provider-key-0123456789abcdef',
};

export interface SandboxAttackKit {
  f: AgentFixture;
  root: string;
  /** Stand-in for Godel's home: credentials.json and an embedded database's files. */
  godelHome: string;
  credentialsToken: string;
  pgMarker: string;
  /** Stand-in for the API on loopback: counts every request that reaches it. */
  api: { port: number; hits: number };
  /** The tool results the scripted model received, per script. */
  toolOutput: Map<string, string>;
  /** Every bash command the attacking agents were told to run, with their agent. */
  sent: Array<{ agent: string; command: string }>;
  /** Runs `command` with the `bash` tool of a fresh agent (`role` default worker); returns what the tool returned. */
  bash(id: string, command: string, extra?: Record<string, unknown>): Promise<{ output: string; agent: string; state: AgentState }>;
  close(): Promise<void>;
}

/**
 * One Godel instance in-process (real runtime over Redis and PostgreSQL, real `pi` processes in
 * the real sandbox) whose agents' base environment holds the server's secrets, a Godel home with
 * credentials and database files, and an HTTP stand-in for the API on loopback.
 */
export async function createSandboxAttackKit(): Promise<SandboxAttackKit> {
  const commands = new Map<string, string>();
  const toolOutput = new Map<string, string>();
  const play = (r: StepRequest) => {
    const id = r.scriptName ?? '';
    if (r.index === 0) return { toolCalls: [{ name: 'bash', arguments: { command: commands.get(id) ?? 'true' } }] };
    const tool = [...r.body.messages].reverse().find((m) => m.role === 'tool');
    toolOutput.set(id, messageText(tool));
    return { text: 'done' };
  };
  const api = { port: 0, hits: 0 };
  const server: Server = createServer((req, res) => {
    api.hits++;
    res.end('{"api":"reached"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  api.port = (server.address() as { port: number }).port;
  let godelHome = '';
  const f = await createAgentFixture({}, { play, hostEnv: PLANTED, hiddenDirs: [] });
  godelHome = join(f.root, 'godel-home');
  const credentialsToken = 'gdr_planted-refresh-token-0123456789abcdef';
  const pgMarker = 'planted-pg-data-4711';
  await mkdir(join(godelHome, 'pg', 'data'), { recursive: true });
  await writeFile(join(godelHome, 'credentials.json'), JSON.stringify({ refreshToken: credentialsToken }));
  await writeFile(join(godelHome, 'pg', 'data', 'PG_VERSION'), pgMarker);
  let n = 0;
  const sent: Array<{ agent: string; command: string }> = [];
  return {
    sent,
    f,
    root: f.root,
    godelHome,
    credentialsToken,
    pgMarker,
    api,
    toolOutput,
    async bash(id, command, extra = {}) {
      commands.set(id, command);
      const agent = agentAddress('atk', `${id}-${++n}`);
      sent.push({ agent, command });
      await f.start(agent, { prompt: `[script:${id}] go`, ...extra });
      const state = await f.until(agent, (s) => s.status === 'idle' || s.status === 'failed', 90_000);
      const end = Date.now() + 10_000;
      while (!toolOutput.has(id) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await f.rt.system.ask(agent, 'agent.stop', {}, 30_000).catch(() => undefined);
      return { output: toolOutput.get(id) ?? '(no tool result)', agent, state };
    },
    async close() {
      await f.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function exists(path: string): boolean {
  return existsSync(path);
}
