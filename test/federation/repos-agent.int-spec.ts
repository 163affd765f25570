/**
 * An agent on a repository URL (issue 12), real pi + scripted model + Redis + PostgreSQL, the
 * repository a bare one served by `git daemon` on loopback: its worktree is built from this
 * instance's mirror, every turn's work is pushed to refs/godel/work/<team>/<agent>, and after
 * its host's disk is gone (home folder deleted: what a new instance starts with) the worktree is
 * rebuilt from the pushed tip and the stored session resumes there.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentAddress, type AgentState } from '@godel/agents';
import { AgentRepos, RepoMirrors, workRef } from '@godel/workspace';
import { createAgentFixture, type AgentFixture } from '../agents/agent-fixture';
import { git, makeBareRemote, startGitDaemon } from '../../libs/workspace/test/git-servers';

jest.setTimeout(420_000); // generous: pi start-ups and a clone on a loaded machine

describe('an agent on a repository URL', () => {
  let f: AgentFixture;
  let dir: string;
  let home: string;
  let daemon: Awaited<ReturnType<typeof startGitDaemon>>;
  let bare: string;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-fed-agent-')));
    await mkdir(join(dir, 'served'));
    bare = await makeBareRemote(join(dir, 'served'), 'app', { 'README.md': '# app\n' });
    daemon = await startGitDaemon(join(dir, 'served'));
    home = join(dir, 'home-a');
    const repos = new AgentRepos({ mirrors: new RepoMirrors({ home }), worktreesRoot: join(home, 'worktrees') });
    f = await createAgentFixture(
      {
        edit: [
          { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hello\n' } }] },
          { toolCalls: [{ name: 'bash', arguments: { command: 'git add hello.txt && git -c user.name=agent -c user.email=a@godel.invalid commit -qm "add hello" && echo wip > wip.txt' } }] },
          { text: 'Committed hello.txt, wip.txt is not committed.' },
          // The same conversation (the session resumed after the restart) asks for more.
          { toolCalls: [{ name: 'write', arguments: { path: 'second.txt', content: 'second\n' } }] },
          { text: 'Wrote second.txt.' },
        ],
      },
      { agent: { repos } },
    );
  }, 120_000);

  afterAll(async () => {
    await f?.close();
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Polls the agent's state; a `get` waits behind a long turn (a restart that clones and starts pi), so it gets 60 s. */
  async function until(a: string, pred: (s: AgentState) => boolean, timeoutMs = 120_000): Promise<AgentState> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await f.rt.system.ask<AgentState>(a, 'get', {}, 60_000);
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`agent ${a} stuck in ${s.status} (${s.reason ?? ''})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('works from the mirror, pushes each turn, and is rebuilt from the pushed tip after its home is lost', async () => {
    const url = daemon.url('app');
    const a = agentAddress('tu1', 'w1');
    await f.rt.system.ask(a, 'agent.start', { repo: url, providers: f.providers, prompt: '[script:edit] add a hello file and commit it' }, 120_000);
    const s = await until(a, (x) => x.status === 'idle', 150_000);
    expect(s.worktree!.startsWith(home)).toBe(true);
    expect(existsSync(join(s.worktree!, 'hello.txt'))).toBe(true);
    const ref = workRef('tu1', 'w1');
    const pushed = await f.events.list({ agent: a, type: 'agent.work_pushed' });
    expect(pushed).toHaveLength(1);
    expect(await git(bare, 'rev-parse', ref)).toBe(pushed[0].data.snapshot);
    expect(await git(bare, 'log', '-1', '--format=%s', `${ref}^1`)).toBe('add hello');
    expect(await git(bare, 'show', `${ref}:wip.txt`)).toBe('wip');

    // The host's disk is gone: mirror and worktree with it. A restart (as on a takeover) rebuilds them.
    await rm(home, { recursive: true, force: true });
    await f.rt.system.tell(a, 'agent.restart', { reason: 'host lost (test)' });
    const back = await until(a, (x) => x.status === 'idle' && x.restarts.length === 1 && !!x.worktree && existsSync(x.worktree), 150_000);
    expect(await readFile(join(back.worktree!, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(back.worktree!, 'wip.txt'), 'utf8')).toBe('wip\n'); // uncommitted work came back too
    expect(await git(back.worktree!, 'log', '-1', '--format=%s')).toBe('add hello');
    expect(back.baseCommit).toBe(s.baseCommit);

    // The resumed session goes on in the rebuilt worktree, and its next turn is pushed as well.
    await f.rt.system.ask(a, 'agent.prompt', { text: 'now write a second file' }, 60_000);
    await until(a, (x) => x.status === 'idle' && existsSync(join(x.worktree!, 'second.txt')), 150_000);
    const after = await f.events.list({ agent: a, type: 'agent.work_pushed' });
    expect(after).toHaveLength(2);
    expect(await git(bare, 'show', `${ref}:second.txt`)).toBe('second');
    // Clean; the first snapshot, replaced by the second push, is only dangling.
    expect(await git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
  });
});
