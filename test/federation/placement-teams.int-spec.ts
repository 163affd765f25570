/**
 * Placement with real teams: real compiled servers (own home folders), real pi agents on the
 * offline scripted model, real git. An instance at capacity receives no new team.
 */
import { shardOfKey } from '@godel/actors';
import { createSampleRepo, type ClusterMember, type TeamPlaybook } from '@godel/testing';
import { FederationFixture, SHARDS } from './federation-fixture';

const BOOK: TeamPlaybook = {
  delayMs: 1200,
  plan: { tasks: [{ id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] }] },
  workers: { one: { task: { files: { 'one.txt': '1\n' } } } },
};

describe('federation placement with teams', () => {
  let f: FederationFixture;
  afterEach(async () => f?.close());

  const holder = async (team: string) => (await f.env.redis.hget(`${f.env.keyPrefix}:{s${shardOfKey(team, SHARDS)}}:lease`, 'owner')) ?? undefined;
  const intent = async (via: ClusterMember, repo: string, text: string) => {
    const r = await f.api<{ team: string }>(via, 'POST', '/api/v1/intents', { intent: text, repo, concurrency: 1 });
    if (r.status !== 202) throw new Error(`intent refused: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.team;
  };

  it('an instance at capacity receives no new team', async () => {
    // A long first team (three review rounds; a admits one agent, so the team's others wait in line): a stays full.
    f = await FederationFixture.create({ ...BOOK, reviews: { one: ['request_changes: more', 'request_changes: more', 'request_changes: more', 'approve'] } });
    const [a, b] = await Promise.all([f.start('a', { GODEL_MAX_AGENTS: '1' }), f.start('b')]);
    const repo = await createSampleRepo(f.root, { 'README.md': '# r\n' });
    // Only a may take the first team: b drains meanwhile.
    await f.api(a, 'POST', `/api/v1/federation/instances/${b.instanceId}/drain`);
    await f.until('b empty', async () => f.member(await f.view(a), b)?.shards.length === 0);
    const first = await intent(a, repo, 'fill a');
    expect(await holder(first)).toBe(a.instanceId);
    await f.api(a, 'POST', `/api/v1/federation/instances/${b.instanceId}/undrain`);
    await f.until('a full, b back with shards', async () => {
      const v = await f.view(a);
      return f.member(v, a)?.acceptsNewWork === false && (f.member(v, b)?.shards.length ?? 0) > 0;
    });
    for (let i = 0; i < 3; i++) {
      const t = await intent(a, repo, `next ${i}`);
      const [h, v] = await Promise.all([holder(t), f.view(a)]);
      expect({ team: t, holder: h, a: f.member(v, a) }).toEqual({ team: t, holder: b.instanceId, a: expect.objectContaining({ acceptsNewWork: false }) });
    }
  }, 300_000);
});
