import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MaintenanceWatcher, startIntent } from '@godel/orchestration';
import { AgentQueries, RepoRegistry } from '@godel/persistence';
import { createTeamFixture, git, type TeamFixture } from './team-fixture';

const FIXED = "const assert = require('assert');\nassert.strictEqual(1 + 1, 2);\n";

describe('autonomic maintenance (opt-in per registered repository, by an admin)', () => {
  let f: TeamFixture;
  let watcher: MaintenanceWatcher;
  afterEach(async () => {
    await watcher?.close();
    await f?.close();
  });

  it('the target turns red → a maintenance team forms, fixes it and says so; one team at a time; back to green is an event', async () => {
    f = await createTeamFixture({
      plan: { tasks: [{ id: 'fix', title: 'Fix the red check', prompt: 'Make node check.js pass.', dependsOn: [], fixesBaseline: true }] },
      workers: { fix: { task: { files: { 'checks/math.check.js': FIXED } } } },
    });
    const queries = new AgentQueries(f.agents.env.dataSource);
    const registry = new RepoRegistry(f.agents.env.dataSource);
    const gone = join(f.repo, 'not-a-repo-at-all');
    watcher = new MaintenanceWatcher({
      connection: f.agents.env.redis,
      redis: f.agents.env.redis,
      prefix: f.agents.env.keyPrefix,
      everyMs: 3_600_000,
      // what the server passes: registered repositories with maintenance on, plus one that was deleted
      repos: async () => [...(await registry.list({ maintenance: true })).map((r) => ({ path: r.path, verify: r.verify! })), { path: gone, verify: 'true' }],
      startIntent: (req) => startIntent((to, type, payload, ms) => f.agents.rt.system.ask(to, type, payload, ms), req, f.agents.providers),
      teamStatus: async (team) => (await queries.state<{ status: string }>(`team/${team}`))?.status,
      events: f.agents.events,
    });

    // The repository tries to opt itself in (.godel.yaml committed by anyone, e.g. an agent): nothing happens.
    writeFileSync(join(f.repo, '.godel.yaml'), 'verify: node check.js\nmaintenance: true\n');
    git(f.repo, 'add', '.');
    git(f.repo, 'commit', '-qm', 'opt in to maintenance');
    expect((await watcher.runOnce()).map((r) => r.repo)).toEqual([gone]);
    await registry.register({ path: f.repo, verify: 'node check.js', maintenance: false });
    expect((await watcher.runOnce()).map((r) => r.repo)).toEqual([gone]);
    // An admin opts it in (the registry is what POST /api/v1/repos writes).
    await registry.register({ path: f.repo, verify: 'node check.js', maintenance: true });
    expect((await watcher.runOnce())[0]).toMatchObject({ action: 'green' });
    expect((await watcher.runOnce())[0]).toMatchObject({ action: 'unchanged' });

    // Someone pushes a red check straight to main.
    mkdirSync(join(f.repo, 'checks'), { recursive: true });
    writeFileSync(join(f.repo, 'checks/math.check.js'), "const assert = require('assert');\nassert.strictEqual(1 + 1, 3, 'arithmetic is broken');\n");
    git(f.repo, 'add', '.');
    git(f.repo, 'commit', '-qm', 'break the build');
    const [red, broken] = await watcher.runOnce();
    expect(red).toMatchObject({ action: 'red.team_formed', target: 'main' });
    expect(broken).toMatchObject({ action: 'error' });
    // One team at a time.
    expect((await watcher.runOnce())[0]).toMatchObject({ action: 'team_at_work', team: red.team });

    const s = await f.untilDone(red.team!);
    expect(s.status).toBe('succeeded');
    expect(s.intent).toContain('arithmetic is broken');
    expect(s.verify).toBe('node check.js');
    expect(execFileSync('node', ['check.js'], { cwd: f.repo, encoding: 'utf8' })).toContain('1 checks passed');
    expect((await watcher.runOnce())[0]).toMatchObject({ action: 'green' });

    await f.agents.events.flush();
    const types = (await f.agents.events.list({ limit: 10_000 })).map((e) => e.type).filter((t) => t.startsWith('maintenance.'));
    expect(types.filter((t) => t !== 'maintenance.check_failed')).toEqual(['maintenance.red', 'maintenance.team_formed', 'maintenance.green']);
    // The path that is not a repository is reported on every pass (7 passes), never skipped silently.
    expect(types.filter((t) => t === 'maintenance.check_failed')).toHaveLength(7);
  }, 120_000);
});
