/**
 * One process per agent, whatever calls the host: two spawns of one agent at once (a start turn
 * re-run after its shard was lost and taken back, while the old turn still spawns) start one pi and
 * both see it; a spawn that finishes after stopAll is stopped, not left running untracked (seen: two
 * pi processes outliving a test's fixture). Real pi in the sandbox with the scripted model; the
 * process list is read from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { agentAddress } from '@godel/agents';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

/** This test process's children whose command line names the agent's folder (the sandbox of its pi). */
function processesOf(agentDir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(agentDir)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('agent process host: one process per agent', () => {
  let f: AgentFixture;
  beforeAll(async () => {
    f = await createAgentFixture({}, { admission: { startConcurrency: 2, maxAgents: 10 } });
  }, 60000);
  afterAll(async () => f?.close());

  it('two spawns of one agent at once start one pi; both resolve with it', async () => {
    const agent = agentAddress('once', 'a');
    const spec = { cwd: f.repo, team: 'once', providers: f.providers, providerIndex: 0 };
    await Promise.all([f.host.spawn(agent, spec), f.host.spawn(agent, spec)]);
    const pid = f.host.get(agent)?.pid;
    expect(pid).toBeDefined();
    const dir = f.host.dirs(agent).sessionDir;
    expect(processesOf(dir)).toEqual([pid]);
    // A later spawn keeps the live one.
    await f.host.spawn(agent, spec);
    expect(f.host.get(agent)?.pid).toBe(pid);
    await f.host.stop(agent);
    expect(processesOf(dir)).toEqual([]);
  }, 120000);

  it('a spawn under way when stopAll runs is stopped when it finishes, and rejects', async () => {
    const agent = agentAddress('once', 'b');
    const spawned = f.host.spawn(agent, { cwd: f.repo, team: 'once', providers: f.providers, providerIndex: 0 }).then(() => 'started', (err: Error) => err.message);
    await f.host.stopAll();
    expect(await spawned).toMatch(/closed/);
    expect(f.host.get(agent)).toBeUndefined();
    expect(processesOf(f.host.dirs(agent).sessionDir)).toEqual([]);
  }, 120000);
});
