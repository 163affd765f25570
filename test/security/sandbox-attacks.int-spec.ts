/**
 * Issue 14, findings 1-3 and per-role tools: a hostile agent and a hostile verification against one
 * Godel instance. Real: the actor runtime over Redis and PostgreSQL, `pi` processes in bubblewrap
 * driven by the scripted model, git, the refinery's merge and the maintenance check, Redis and
 * PostgreSQL on loopback as targets. Stand-ins: an HTTP server on loopback for the API; a folder
 * with credentials.json and PG_VERSION for Godel's home. Mocked: nothing.
 */
import { createSandboxAttackKit, type SandboxAttackKit } from './sandbox-attack-kit';
import { SANDBOX_ATTACKS } from './sandbox-attacks';

describe('sandbox attacks (agents and verification)', () => {
  let kit: SandboxAttackKit;
  beforeAll(async () => {
    kit = await createSandboxAttackKit();
  }, 120_000);
  afterAll(async () => kit?.close());

  it.each(SANDBOX_ATTACKS.map((a) => [a.name, a] as const))('%s: fails', async (_name, attack) => {
    const r = await attack.run(kit);
    if (!r.blocked) throw new Error(`attack succeeded: ${r.evidence}`);
    expect(r.blocked).toBe(true);
  }, 180_000);

  it('every agent attack is visible: its bash command is in the event log (agent.tool_started)', async () => {
    await kit.f.events.flush();
    expect(kit.sent.length).toBeGreaterThanOrEqual(10);
    for (const { agent, command } of kit.sent) {
      const started = await kit.f.events.list({ agent, type: 'agent.tool_started', limit: 50 });
      expect(started.map((e) => (e.data.args as { command?: string })?.command)).toContain(command);
    }
  });
});
