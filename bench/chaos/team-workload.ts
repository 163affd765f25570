/**
 * The chaos harness's team workload (issue 15): teams run one after another (a new one as soon as
 * the previous ends) on the cluster while the faults happen, each on its own sample repository, with
 * the offline scripted model playing CHAOS_PLAYBOOK. A reader follows each team's events over HTTP
 * (`GET /api/v1/events?team=&after=`, any live member, as `godel events` does) for the whole run.
 *
 * The checker (`check`), after the faults, once every team has ended (or a deadline passed):
 * - tasks_lost: tasks of any team (every `team/*` row of actor_state, also teams whose start request
 *   answered with an error) that are neither merged (status done, a ledger entry `merged` whose commit
 *   is on the target branch) nor reported (status failed/cancelled with its `task.failed` /
 *   `task.cancelled` event in the log). A team still running at the deadline loses its open tasks,
 *   and at least one task even when it has none yet (no plan): its work is lost all the same.
 *   `tasks_lost_detail` says why each was lost (team status, task status, its ledger entries).
 * - event_gaps: per team, events the live reader never saw although it read past their sequence
 *   number (a sequence that became visible after a higher one), plus events it saw that are no longer
 *   in the log. Holes in the raw `seq` (rolled-back inserts) are not gaps: no reader can miss them.
 * - duplicate_events: per team, the same logical event more than once. Any event carrying an
 *   idempotency/effect id (`data.effectId`, `data.eventId`, `data.idempotencyKey`): the same id twice.
 *   The team's decisions (team.*, task.*, review.*, merge.*, baseline.*, plan.*, monitor.* except
 *   monitor.stuck), which carry their round/attempt/try counters: the same type, agent and data
 *   except timing fields (ms, queuedMs, idleMs, verifyMs, output); `task.done` and `merge.merged`
 *   once per task and commit, `team.started` once per team. An agent's own stream (agent.*: turns,
 *   steps, messages) carries no logical identity besides an effect id: a re-run turn is new work.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { DataSource } from 'typeorm';
import { bearer, createSampleRepo, type TeamPlaybook } from '@godel/testing';

/** Four tasks (two in parallel, then two that depend on them): ~4 pi turns plus reviews per team. */
export const CHAOS_PLAYBOOK: TeamPlaybook = {
  delayMs: 300,
  plan: {
    tasks: [
      { id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] },
      { id: 'two', title: 'Two', prompt: 'Write two.txt', dependsOn: [] },
      { id: 'three', title: 'Three', prompt: 'Write three.txt', dependsOn: ['one'] },
      { id: 'four', title: 'Four', prompt: 'Write four.txt', dependsOn: ['two', 'three'] },
    ],
  },
  workers: {
    one: { task: { files: { 'one.txt': '1\n' } } },
    two: { task: { files: { 'two.txt': '2\n' } } },
    three: { task: { files: { 'three.txt': '3\n' } } },
    four: { task: { files: { 'four.txt': '4\n' } } },
  },
};

/** A repository whose verification (`node check.js`) passes. */
const REPO: Record<string, string> = { 'README.md': '# chaos\n', 'check.js': "console.log('ok');\n" };

const TIMING = new Set(['ms', 'queuedMs', 'idleMs', 'output', 'verifyMs', 'durationMs', 'elapsedMs', 'waitedMs', 'at']);
const DECISION = /^(team|task|review|merge|baseline|plan|monitor)\./;
const TERMINAL_TEAM = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TeamCheck {
  teams: number;
  teams_succeeded: number;
  teams_unfinished: number;
  tasks: number;
  tasks_merged: number;
  tasks_lost: number;
  /** Why each lost task was lost (so a failing run can be diagnosed from its printed report). */
  tasks_lost_detail: LostTask[];
  team_events: number;
  event_gaps: number;
  duplicate_events: number;
  duplicate_events_by_type: Record<string, number>;
}

export interface StoredTeam {
  status: string;
  repo: string;
  target?: string;
  order?: string[];
  tasks?: Record<string, { status: string }>;
  ledger?: Array<{ task: string; outcome: string; merged?: string }>;
}

/** One lost task (or a whole team's work, `task: null`, when an unfinished team has no plan). */
export interface LostTask {
  team: string;
  team_status: string;
  task: string | null;
  task_status: string | null;
  ledger: Array<{ outcome: string; merged?: string }>;
  reason: string;
}

/**
 * The task checks of one team (file comment): which tasks are merged, which reported, which lost
 * and why. `onTarget(commit)` says whether a merged commit is on the team's target branch.
 */
export function checkTeamTasks(team: string, s: StoredTeam, events: ReadonlyArray<{ type: string; data: Record<string, unknown> | null }>, onTarget: (commit: string) => boolean): { tasks: number; merged: number; lost: LostTask[] } {
  const out = { tasks: 0, merged: 0, lost: [] as LostTask[] };
  const terminal = TERMINAL_TEAM.has(s.status);
  for (const tid of s.order ?? []) {
    out.tasks++;
    const status = s.tasks?.[tid]?.status ?? null;
    const ledger = (s.ledger ?? []).filter((l) => l.task === tid).map(({ outcome, merged }) => ({ outcome, ...(merged ? { merged } : {}) }));
    const entry = ledger.find((l) => l.outcome === 'merged' && l.merged);
    let reason: string | undefined;
    if (status === 'done') {
      if (!entry) reason = 'done without a merged ledger entry';
      else if (!onTarget(entry.merged!)) reason = `merged commit ${entry.merged} not on ${s.target ?? 'main'}`;
      else out.merged++;
    } else if (status === 'failed' || status === 'cancelled') {
      if (!events.some((e) => e.type === `task.${status}` && e.data?.task === tid)) reason = `${status} without a task.${status} event`;
    } else reason = status === null ? 'in the plan but not in the task table' : `still ${status}${terminal ? '' : ' at the deadline'}`;
    if (reason) out.lost.push({ team, team_status: s.status, task: tid, task_status: status, ledger, reason });
  }
  if (!terminal && out.lost.length === 0) {
    const reason = (s.order ?? []).length === 0 ? 'team not terminal at the deadline, no plan' : 'team not terminal at the deadline';
    out.lost.push({ team, team_status: s.status, task: null, task_status: null, ledger: [], reason });
  }
  return out;
}

interface Row {
  seq: number;
  type: string;
  agent: string | null;
  data: Record<string, unknown>;
}

export interface TeamWorkloadOptions {
  root: string;
  live: () => string[];
  token: () => string;
  log: (line: string) => void;
}

/** The logical identity of an event (see the file comment). */
export function eventKey(e: { type: string; agent: string | null; data: Record<string, unknown> }): string | undefined {
  const d = e.data ?? {};
  for (const id of ['effectId', 'eventId', 'idempotencyKey']) if (typeof d[id] === 'string') return `id:${String(d[id])}`;
  if (e.type === 'task.done') return `task.done:${String(d.task)}`;
  if (e.type === 'merge.merged') return `merge.merged:${String(d.task)}:${String(d.commit)}`;
  if (e.type === 'team.started') return 'team.started';
  if (!DECISION.test(e.type) || e.type === 'monitor.stuck') return undefined;
  const kept = Object.keys(d)
    .filter((k) => !TIMING.has(k))
    .sort()
    .map((k) => [k, d[k]]);
  return `${e.type}|${e.agent ?? ''}|${JSON.stringify(kept)}`;
}

/** Counts repeated logical events per type. */
export function duplicates(events: Array<{ type: string; agent: string | null; data: Record<string, unknown> }>): Record<string, number> {
  const seen = new Set<string>();
  const out: Record<string, number> = {};
  for (const e of events) {
    const k = eventKey(e);
    if (k === undefined) continue;
    if (seen.has(k)) out[e.type] = (out[e.type] ?? 0) + 1;
    seen.add(k);
  }
  return out;
}

/** Events in the log the reader missed although it read past them, plus events it saw that are gone. */
export function gaps(logSeqs: number[], seenSeqs: number[]): number {
  const seen = new Set(seenSeqs);
  const inLog = new Set(logSeqs);
  return logSeqs.filter((s) => !seen.has(s)).length + seenSeqs.filter((s) => !inLog.has(s)).length;
}

export class TeamWorkload {
  /** New teams start while this holds (until `finish()`). */
  private starting = true;
  /** The readers follow while this holds (until `stop()`), then read until nothing more comes. */
  private running = true;
  private readonly seen = new Map<string, number[]>();
  private loop?: Promise<void>;
  private readonly readers: Array<Promise<void>> = [];
  started = 0;
  private readonly run = Math.random().toString(36).slice(2, 8);

  constructor(private readonly o: TeamWorkloadOptions) {}

  /** Keeps one team running until `finish()`. */
  start(): void {
    this.loop = this.teamLoop();
  }

  /** No new team; the running one goes on to its end. */
  finish(): void {
    this.starting = false;
  }

  async stop(): Promise<void> {
    this.starting = false;
    this.running = false;
    await this.loop;
    await Promise.all(this.readers);
  }

  private async http(path: string, init: RequestInit = {}, giveUpMs = 60000): Promise<Response | undefined> {
    const end = performance.now() + giveUpMs;
    for (let attempt = 0; performance.now() < end; attempt++) {
      const urls = this.o.live();
      const url = urls[attempt % Math.max(1, urls.length)];
      if (url) {
        try {
          const res = await fetch(`${url}${path}`, { ...init, headers: bearer(this.o.token(), { 'content-type': 'application/json' }), signal: AbortSignal.timeout(5000) });
          if (res.status < 500 && res.status !== 401) return res;
          await res.arrayBuffer();
        } catch {
          // a member down, stopped or cut off: another one, later
        }
      }
      await sleep(Math.min(1000, 100 * (attempt + 1)));
    }
    return undefined;
  }

  private async teamLoop(): Promise<void> {
    while (this.starting) {
      const n = ++this.started;
      const intent = `chaos team ${n} of run ${this.run}`;
      // Starting an intent is not idempotent: before another attempt, the client looks for a team its
      // earlier attempt may have started (by the intent's text). The checker finds every team in the
      // store anyway; each attempt gets its own repository so two teams never collide.
      let team: string | undefined;
      for (let attempt = 1; this.starting && !team && attempt <= 5; attempt++) {
        if (attempt > 1) team = await this.findTeam(intent);
        if (team) break;
        const repo = await createSampleRepo(join(this.o.root, `team${n}-${attempt}`), REPO);
        const urls = this.o.live();
        const url = urls[(n + attempt) % Math.max(1, urls.length)];
        // (not `instanceof Error`: under jest, fetch's errors come from another realm)
        const { res, err } = await fetch(`${url}/api/v1/intents`, {
          method: 'POST',
          headers: bearer(this.o.token(), { 'content-type': 'application/json' }),
          body: JSON.stringify({ intent, repo, verify: 'node check.js', concurrency: 2 }),
          signal: AbortSignal.timeout(60000),
        }).then(
          (r) => ({ res: r, err: undefined }),
          (e: unknown) => ({ res: undefined, err: e }),
        );
        if (res?.status === 202) team = ((await res.json()) as { team: string }).team;
        else this.o.log(`team ${n}: start attempt ${attempt} answered ${res ? `${res.status} ${(await res.text()).slice(0, 300)}` : String(err)}`);
        if (!team) await sleep(2000);
      }
      if (!team) continue;
      this.o.log(`team ${n}: ${team} started`);
      this.readers.push(this.follow(team));
      for (;;) {
        await sleep(1000);
        const res = await this.http(`/api/v1/teams/${team}`);
        const s = res?.status === 200 ? ((await res.json()) as { status: string }) : undefined;
        if (s && TERMINAL_TEAM.has(s.status)) {
          this.o.log(`team ${n}: ${team} ${s.status}`);
          break;
        }
        if (!this.running) break;
      }
    }
  }

  private async findTeam(intent: string): Promise<string | undefined> {
    const res = await this.http('/api/v1/teams?limit=500', {}, 30000);
    if (res?.status !== 200) return undefined;
    return ((await res.json()) as { items: Array<{ team: string; intent: string }> }).items.find((t) => t.intent === intent)?.team;
  }

  /** A reader following the team's events by sequence, like `godel events --follow`, until stopped. */
  private async follow(team: string): Promise<void> {
    const seen: number[] = [];
    this.seen.set(team, seen);
    let cursor = 0;
    let idle = 0;
    while (this.running || idle < 3) {
      const res = await this.http(`/api/v1/events?team=${encodeURIComponent(team)}&after=${cursor}&limit=1000`, {}, 10000);
      const items = res?.status === 200 ? ((await res.json()) as { items: Array<{ seq: number }> }).items : [];
      for (const e of items) {
        seen.push(e.seq);
        cursor = Math.max(cursor, e.seq);
      }
      idle = items.length === 0 && !this.running ? idle + 1 : 0;
      await sleep(300);
    }
  }

  private async diagnose(ds: DataSource, team: string, s: StoredTeam, events: Row[]): Promise<void> {
    const res = await this.http('/api/v1/dead-letters?limit=500', {}, 10000);
    const dead = res?.status === 200 ? ((await res.json()) as { items: unknown[] }).items : [];
    await diagnoseTeam(this.o, ds, team, s, events, dead);
  }

  /** Waits until every team in the store has ended (or `deadlineMs`), then checks (file comment). */
  async check(ds: DataSource, deadlineMs: number): Promise<TeamCheck> {
    const load = async () => (await ds.query(`SELECT id, state FROM actor_state WHERE kind = 'team'`)) as Array<{ id: string; state: StoredTeam }>;
    let rows = await load();
    for (const end = performance.now() + deadlineMs; performance.now() < end && rows.some((r) => !TERMINAL_TEAM.has(r.state.status)); await sleep(1000)) rows = await load();
    await this.stop(); // the readers read until nothing more comes
    const out: TeamCheck = { teams: rows.length, teams_succeeded: 0, teams_unfinished: 0, tasks: 0, tasks_merged: 0, tasks_lost: 0, tasks_lost_detail: [], team_events: 0, event_gaps: 0, duplicate_events: 0, duplicate_events_by_type: {} };
    for (const { id, state: s } of rows) {
      const team = id.slice('team/'.length);
      if (s.status === 'succeeded') out.teams_succeeded++;
      if (!TERMINAL_TEAM.has(s.status)) out.teams_unfinished++;
      const events = ((await ds.query(`SELECT seq, type, agent, data FROM events WHERE team = $1 ORDER BY seq`, [team])) as Row[]).map((e) => ({ ...e, seq: Number(e.seq) }));
      out.team_events += events.length;
      // An unfinished team: what it did last, for the diagnosis (the run's schema is dropped after).
      if (s.status !== 'succeeded') await this.diagnose(ds, team, s, events);
      const r = checkTeamTasks(team, s, events, (commit) => onBranch(s.repo, commit, s.target ?? 'main'));
      out.tasks += r.tasks;
      out.tasks_merged += r.merged;
      out.tasks_lost += r.lost.length;
      out.tasks_lost_detail.push(...r.lost);
      const seen = this.seen.get(team);
      if (seen) out.event_gaps += gaps(events.map((e) => e.seq), seen);
      for (const [type, n] of Object.entries(duplicates(events))) {
        out.duplicate_events += n;
        out.duplicate_events_by_type[type] = (out.duplicate_events_by_type[type] ?? 0) + n;
      }
    }
    return out;
  }
}

/** Why a team did not succeed: its last events, its members as it sees them, its agents' own states, their dead letters. */
async function diagnoseTeam(o: { log: (line: string) => void }, ds: DataSource, team: string, s: StoredTeam, events: Row[], deadLetters: unknown[]): Promise<void> {
  const label = TERMINAL_TEAM.has(s.status) ? s.status : 'unfinished';
  o.log(`team ${team} ${label}; its last events: ${events.slice(-25).map((e) => `${e.type}${e.agent ? `@${e.agent.split(':').pop()}` : ''}${typeof e.data?.task === 'string' ? `(${e.data.task})` : ''}`).join(' ')}`);
  const full = s as StoredTeam & { reason?: string; reviewing?: string; reviewQueue?: string[]; members?: Record<string, Record<string, unknown>> };
  const members = Object.values(full.members ?? {}).map((m) => ({ name: m.name, status: m.status, task: m.task, busySince: m.busySince, retired: m.retired, lastSeq: m.lastSeq }));
  o.log(`team ${team} ${label}; reason ${full.reason ?? '-'}; reviewing ${full.reviewing ?? '-'}; queue ${JSON.stringify(full.reviewQueue ?? [])}; tasks ${JSON.stringify(Object.fromEntries(Object.entries(s.tasks ?? {}).map(([k, v]) => [k, v.status])))}; members ${JSON.stringify(members)}`);
  const agents = (await ds.query(`SELECT id, state FROM actor_state WHERE kind = 'agent' AND id LIKE $1`, [`agent/${team}:%`])) as Array<{ id: string; state: Record<string, unknown> }>;
  for (const a of agents) o.log(`team ${team} ${label}; agent ${a.id}: status ${String(a.state.status)} updates ${String(a.state.updates)} queue ${JSON.stringify(a.state.queue ?? null)} prompt ${a.state.currentPrompt ? 'yes' : 'no'} restarts ${JSON.stringify(a.state.restarts)} reason ${String(a.state.reason ?? '-')}`);
  const mine = deadLetters.filter((d) => JSON.stringify(d).includes(team));
  for (const d of mine.slice(0, 10)) o.log(`team ${team} ${label}; dead letter: ${JSON.stringify(d).slice(0, 600)}`);
}

function onBranch(repo: string, commit: string, branch: string): boolean {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', commit, branch], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function writePlaybook(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const file = join(root, 'playbook.json');
  await writeFile(file, JSON.stringify(CHAOS_PLAYBOOK));
  return file;
}
