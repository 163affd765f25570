/**
 * Cross-instance diff (issue 12): `GET /api/v1/agents/:team/:name/diff` asked through A's API for an
 * agent hosted on B is answered by B (its worktree, its disk) over instance RPC (Redis transport).
 * Unknown team or agent → 404 typed; bad names → 422; B killed → 503
 * `federation.instance_unavailable` with Retry-After at once (its RPC listener left Redis with its
 * connection), not after an RPC timeout.
 */
import { createSampleRepo, type TeamPlaybook } from '@godel/testing';
import { FederationFixture } from './federation-fixture';

const BOOK: TeamPlaybook = {
  delayMs: 1000,
  plan: { tasks: [{ id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] }] },
  workers: { one: { task: { files: { 'one.txt': '1\n' } } } },
  // A long review keeps the worker (and its worktree) around while the test reads it.
  reviews: { one: ['request_changes: more', 'request_changes: more', 'request_changes: more', 'approve'] },
};

interface Diff {
  agent: string;
  instance: string;
  base: string | null;
  head: string | null;
  files: Array<{ path: string; status: string }>;
  diff: string;
}
interface Problem {
  code: string;
  detail: string;
}

describe('the diff of an agent on another instance', () => {
  let f: FederationFixture;
  afterEach(async () => f?.close());

  it('is served by its host through any API; unknown → 404, host gone → 503 with Retry-After at once', async () => {
    f = await FederationFixture.create(BOOK);
    const [a, b] = await Promise.all([f.start('a'), f.start('b')]);
    // The team goes to B: A drains while it is placed (A keeps serving the API).
    expect((await f.api(b, 'POST', `/api/v1/federation/instances/${a.instanceId}/drain`)).status).toBe(200);
    await f.until('a empty', async () => f.member(await f.view(b), a)?.shards.length === 0);
    const repo = await createSampleRepo(f.root, { 'README.md': '# r\n' });
    const r = await f.api<{ team: string }>(a, 'POST', '/api/v1/intents', { intent: 'one file', repo, concurrency: 1 });
    expect(r.status).toBe(202);
    const team = r.body.team;
    const path = `/api/v1/agents/${team}/worker-1/diff`;
    const viaA = await f.until('the worker wrote one.txt', async () => {
      const d = await f.api<Diff>(a, 'GET', path);
      return d.status === 200 && d.body.files.some((x) => x.path === 'one.txt') && d;
    }, 180_000);
    expect(viaA.body).toMatchObject({ agent: `agent/${team}:worker-1`, instance: b.instanceId });
    expect(viaA.body.diff).toContain('+1');
    expect(viaA.body.head).toMatch(/^[0-9a-f]{40}$/);
    // The same answer through B's own API (local call): A's came from B's disk.
    const viaB = await f.api<Diff>(b, 'GET', path);
    expect(viaB.status).toBe(200);
    expect(viaB.body.files).toEqual(expect.arrayContaining(viaA.body.files.filter((x) => x.path === 'one.txt')));
    expect(viaB.body.instance).toBe(b.instanceId);

    for (const [p, status] of [
      [`/api/v1/agents/no-such-team/worker-1/diff`, 404],
      [`/api/v1/agents/${team}/nobody/diff`, 404],
      [`/api/v1/agents/${team}/Bad%20Name/diff`, 422],
    ] as const) {
      const res = await f.api<Problem>(a, 'GET', p);
      expect({ p, status: res.status, code: res.body.code }).toEqual({ p, status, code: status === 404 ? 'resource.not_found' : 'request.invalid' });
    }

    // B is killed: A answers 503 from Redis' view of B's listener, without waiting for an RPC timeout.
    await f.cluster.kill('b');
    const gone = await f.api<Problem>(a, 'GET', path);
    expect({ status: gone.status, code: gone.body.code }).toEqual({ status: 503, code: 'federation.instance_unavailable' });
    expect(gone.body.detail).toMatch(/not serving|moving/);
    expect(Number(gone.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 360_000);
});
