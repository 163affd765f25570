/**
 * A turn's end on a URL repository: the work is pushed before the session that describes it is
 * saved. A host lost between the two must resume from the session before the turn (and do the turn
 * again), never from one whose tool calls wrote files the rebuilt worktree lacks (seen in CI: the
 * resumed worker "remembered" its write, changed nothing, and its task failed with task.no_changes).
 * Pure unit test: the host, session store and repositories are in-memory fakes that record calls.
 */
import type { ActorContext } from '@godel/actors';
import type { AgentActorDeps } from './agent-deps';
import { initialAgentState, type AgentState } from './agent-state';
import { AgentTurn } from './agent-turn';
import { turnEnd } from './agent-turn-end';

describe('turnEnd on a URL repository', () => {
  function setup() {
    const calls: string[] = [];
    let releasePush: () => void = () => undefined;
    const pushed = new Promise<void>((r) => (releasePush = r));
    const deps = {
      host: {
        pidOf: () => 42,
        has: () => true,
        stats: async () => ({ total: 10, costUsd: 0 }),
        snapshotSession: async () => ({ fileName: 's.jsonl', content: '{"wrote":"two.txt"}' }),
      },
      sessions: { save: async () => void calls.push('session.save') },
      repos: {
        isRemote: () => true,
        pushWork: async () => {
          calls.push('push.start');
          await pushed;
          calls.push('push.done');
          return { ref: 'refs/godel/work/t/w', snapshot: 'abc', head: 'abc' };
        },
      },
    } as unknown as AgentActorDeps;
    const ctx = { selfAddress: 'agent/t:w', now: () => 1, effect: () => undefined, tell: () => undefined } as unknown as ActorContext;
    const s: AgentState = { ...initialAgentState('t', 'w'), status: 'running', repo: 'git://127.0.0.1/app', worktree: '/tmp/wt', baseCommit: 'base' };
    return { calls, releasePush, turn: new AgentTurn(deps, ctx), s };
  }

  it('does not save the session while the turn’s work is still being pushed', async () => {
    const { calls, releasePush, turn, s } = setup();
    const ending = turnEnd(turn, s, { pid: 42, stopReason: 'stop', text: 'done' } as Parameters<typeof turnEnd>[2]);
    await new Promise((r) => setTimeout(r, 20));
    // The push is in flight (the host could die now): nothing says the turn's files exist yet.
    expect(calls).toEqual(['push.start']);
    releasePush();
    const after = await ending;
    expect(calls).toEqual(['push.start', 'push.done', 'session.save']);
    expect(after.status).toBe('idle');
  });
});
