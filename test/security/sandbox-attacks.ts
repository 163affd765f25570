import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitAll, mergeToTarget, verifyAt } from '@godel/orchestration';
import { createGitRunner } from '@godel/workspace';
import { git } from '@godel/testing';
import { PLANTED, type SandboxAttackKit } from './sandbox-attack-kit';

/** What one attack achieved: `blocked` when nothing it was after reached it; `evidence` says what it saw. */
export interface AttackOutcome {
  name: string;
  finding: string;
  blocked: boolean;
  evidence: string;
}

export interface Attack {
  name: string;
  /** The finding of issue 14 it exercises. */
  finding: string;
  run(kit: SandboxAttackKit): Promise<{ blocked: boolean; evidence: string }>;
}

const leaked = (text: string, secrets: string[]) => secrets.filter((s) => text.includes(s));
/**
 * A command the path guard cannot read (it is best effort: variables, decoded strings): the
 * attacks must be stopped by the OS sandbox, not by the guard.
 */
const hidden = (cmd: string) => `echo ${Buffer.from(cmd).toString('base64')} | base64 -d | sh`;
const tail = (s: string) => s.replace(/\s+/g, ' ').trim().slice(-400);
const nodeProbe = (js: string) => `node -e ${JSON.stringify(js)}`;
const tcpProbe = (label: string, port: number, send: string) =>
  nodeProbe(
    `const s=require('net').connect(${port},'127.0.0.1',()=>s.write(${JSON.stringify(send)}));s.setTimeout(3000,()=>{console.log('${label} TIMEOUT');process.exit()});s.on('data',d=>{console.log('${label} REPLY '+String(d).slice(0,40));process.exit()});s.on('error',e=>console.log('${label} ERR '+e.code))`,
  );

/** The worker's `bash` and the repository's verification, turned against the server (issue 14, findings 1, 2, 3). */
export const SANDBOX_ATTACKS: Attack[] = [
  {
    name: 'agent bash runs env (server secrets, other provider keys)',
    finding: '2',
    async run(kit) {
      const { output } = await kit.bash('env', hidden('env; echo END'));
      const hits = leaked(output, Object.values(PLANTED));
      return { blocked: hits.length === 0 && output.includes('END') && !Object.keys(PLANTED).some((k) => output.includes(`${k}=`)), evidence: hits.length ? `leaked ${hits.join(', ')}` : tail(output) };
    },
  },
  {
    name: 'agent bash reads Godel home credentials (~/.godel, GODEL_HOME)',
    finding: '2',
    async run(kit) {
      const { output } = await kit.bash('creds', hidden(`cat ${kit.godelHome}/credentials.json; cat ~/.godel/credentials.json /root/.godel/credentials.json /var/lib/godel/credentials.json; echo END`));
      return { blocked: !output.includes(kit.credentialsToken) && output.includes('END'), evidence: tail(output) };
    },
  },
  {
    name: "agent bash reads the database's files (embedded and system PostgreSQL)",
    finding: '2',
    async run(kit) {
      const { output } = await kit.bash('dbfiles', hidden(`cat ${kit.godelHome}/pg/data/PG_VERSION; ls /var/lib/postgresql /var/run/postgresql; echo END`));
      return { blocked: !output.includes(kit.pgMarker) && /postgresql'?: No such file/.test(output) && output.includes('END'), evidence: tail(output) };
    },
  },
  {
    name: 'agent bash talks to Redis on loopback (PING, would enqueue a refinery job)',
    finding: '2',
    async run(kit) {
      const { output } = await kit.bash('redis', hidden(tcpProbe('REDIS', 6379, 'PING\r\n')));
      return { blocked: !output.includes('REDIS REPLY') && output.includes('REDIS ERR'), evidence: tail(output) };
    },
  },
  {
    name: 'agent bash connects to PostgreSQL (TCP 5432 and its unix socket)',
    finding: '2',
    async run(kit) {
      const sock = nodeProbe(`const s=require('net').connect('/var/run/postgresql/.s.PGSQL.5432',()=>{console.log('PGSOCK CONNECTED');process.exit()});s.on('error',e=>console.log('PGSOCK ERR '+e.code))`);
      const { output } = await kit.bash('postgres', hidden(`${tcpProbe('PGTCP', 5432, '\0\0\0\x08\x04\xd2\x16\x2f')}; ${sock}`));
      return { blocked: !/PGTCP REPLY|PGSOCK CONNECTED/.test(output) && output.includes('PGTCP ERR') && output.includes('PGSOCK ERR'), evidence: tail(output) };
    },
  },
  {
    name: 'agent bash calls the API on loopback',
    finding: '2',
    async run(kit) {
      const before = kit.api.hits;
      const { output } = await kit.bash('api', hidden(nodeProbe(`fetch('http://127.0.0.1:${kit.api.port}/api/v1/agents').then(r=>console.log('API STATUS '+r.status)).catch(e=>console.log('API ERR '+(e.cause&&e.cause.code||e.message)))`)));
      return { blocked: kit.api.hits === before && !output.includes('API STATUS'), evidence: tail(output) };
    },
  },
  {
    name: "agent bash reads a sibling agent's worktree",
    finding: '2',
    async run(kit) {
      const victim = await kit.bash('victim', 'echo ready');
      const wt = victim.state.worktree!;
      await writeFile(join(wt, 'victim-secret.txt'), 'sibling-secret-4711');
      // Everything on stdout, in order: cat's error (which names the victim's path) once came after the
      // marker on stderr and was read as part of the listing.
      const { output } = await kit.bash('sibling', hidden(`cat ${wt}/victim-secret.txt 2>&1; echo ::LISTING::; ls ${join(wt, '..')} 2>&1; echo END`));
      const listing = output.split('::LISTING::')[1]?.split('END')[0] ?? '';
      return { blocked: !output.includes('sibling-secret-4711') && !listing.includes(victim.agent.split(':')[1]) && output.includes('END'), evidence: tail(output) };
    },
  },
  {
    name: 'agent bash sees and signals server processes',
    finding: '2',
    async run(kit) {
      const { output } = await kit.bash('procs', hidden(`cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; kill -0 ${process.pid} && echo SIGNALLED; echo END`));
      return { blocked: !/redis-server|postgres|jest|SIGNALLED/.test(output.replace(/kill -0 \d+/, '')) && output.includes('END'), evidence: tail(output) };
    },
  },
  {
    name: 'agent bash writes core.hooksPath / core.fsmonitor / a hook into the shared .git, then Godel runs git there',
    finding: '3',
    async run(kit) {
      const mark = join(kit.root, 'pwned-by-agent-git');
      const script = `#!/bin/sh\ntouch ${mark}\n`;
      const { output, state } = await kit.bash(
        'gitcfg',
        hidden([
          `printf '${script.replace(/\n/g, '\\n')}' > evil.sh; chmod +x evil.sh`,
          'git config core.hooksPath "$PWD" || echo CONFIG_REFUSED',
          `git config core.fsmonitor "${mark}-fsmonitor" || echo FSMONITOR_REFUSED`,
          `cp evil.sh "$(git rev-parse --git-common-dir)/hooks/post-commit" || echo HOOK_REFUSED`,
          'rm -f .git && mkdir .git || echo LINK_KEPT',
          'echo END',
        ].join('; ')),
      );
      // Godel then does what it always does with a worker's worktree.
      await commitAll(state.worktree!, 'godel: remainder').catch(() => undefined);
      await createGitRunner()(['status', '--porcelain'], { cwd: state.worktree! }).catch(() => undefined);
      const config = execFileSync('git', ['config', '--list', '--local'], { cwd: kit.f.repo, encoding: 'utf8' });
      const ran = existsSync(mark) || existsSync(`${mark}-fsmonitor`);
      return { blocked: !ran && !/hookspath|fsmonitor/i.test(config) && /CONFIG_REFUSED/.test(output) && /HOOK_REFUSED/.test(output), evidence: `${tail(output)} | hook ran: ${ran}` };
    },
  },
  {
    name: 'a core.hooksPath / core.fsmonitor already in the repository config never runs as the server',
    finding: '3',
    async run(kit) {
      const mark = join(kit.root, 'pwned-by-config');
      const hooks = join(kit.root, 'evil-hooks');
      execFileSync('sh', ['-c', `mkdir -p ${hooks} && printf '#!/bin/sh\\ntouch ${mark}\\n' > ${hooks}/post-commit && cp ${hooks}/post-commit ${hooks}/fsmon && chmod +x ${hooks}/*`]);
      git(kit.f.repo, 'config', 'core.hooksPath', hooks);
      git(kit.f.repo, 'config', 'core.fsmonitor', `${hooks}/fsmon`);
      try {
        const victim = await kit.bash('cfgvictim', 'echo change > change.txt');
        await commitAll(victim.state.worktree!, 'godel: remainder');
        await createGitRunner()(['status'], { cwd: victim.state.worktree! });
        return { blocked: !existsSync(mark), evidence: existsSync(mark) ? 'hook ran as the server' : 'commit and status ran, no hook or fsmonitor command ran' };
      } finally {
        git(kit.f.repo, 'config', '--unset', 'core.hooksPath');
        git(kit.f.repo, 'config', '--unset', 'core.fsmonitor');
      }
    },
  },
  {
    name: 'the reviewer (read-only tools) tries bash and write',
    finding: 'per-role tools',
    async run(kit) {
      const mark = 'reviewer-wrote-this.txt';
      const { output, state } = await kit.bash('reviewer', hidden(`touch ${mark}; echo WROTE`), { role: 'reviewer' });
      return { blocked: !existsSync(join(state.worktree!, mark)) && !output.includes('WROTE'), evidence: tail(output) };
    },
  },
  {
    name: 'verification prints the environment (server secrets into the red output / next prompt)',
    finding: '1',
    async run(kit) {
      const r = await verifyThroughRefinery(kit, 'env; echo sk-proj-abcdefghijklmnopqrstuvwxyz0123456789; exit 1');
      const hits = leaked(r.output, Object.values(PLANTED));
      return { blocked: r.kind === 'red' && hits.length === 0 && !r.output.includes('sk-proj-abcdefghijklmnopqrstuvwxyz0123456789') && r.output.includes('[redacted'), evidence: hits.length ? `leaked ${hits.join(', ')}` : tail(r.output) };
    },
  },
  {
    name: "verification reads Godel home, another worktree and the server's HOME",
    finding: '1',
    async run(kit) {
      const victim = await kit.bash('vvictim', 'echo v > v.txt');
      await writeFile(join(victim.state.worktree!, 'victim-secret.txt'), 'sibling-secret-0815');
      const r = await verifyThroughRefinery(kit, `cat ${kit.godelHome}/credentials.json ${victim.state.worktree}/victim-secret.txt; ls -a ~ /root; exit 1`);
      return { blocked: r.kind === 'red' && !r.output.includes(kit.credentialsToken) && !r.output.includes('sibling-secret-0815'), evidence: tail(r.output) };
    },
  },
  {
    name: 'verification connects to Redis and the API on loopback',
    finding: '1',
    async run(kit) {
      const before = kit.api.hits;
      const r = await verifyThroughRefinery(kit, `${tcpProbe('REDIS', 6379, 'PING\r\n')}; ${tcpProbe('API', kit.api.port, 'GET / HTTP/1.0\r\n\r\n')}; exit 1`);
      return { blocked: r.kind === 'red' && !/REDIS REPLY|API REPLY/.test(r.output) && kit.api.hits === before, evidence: tail(r.output) };
    },
  },
  {
    name: 'maintenance check (verifyAt) prints the environment and reads credentials',
    finding: '1/5',
    async run(kit) {
      const tip = git(kit.f.repo, 'rev-parse', 'HEAD');
      const r = await verifyAt(kit.f.repo, tip, `env; cat ${kit.godelHome}/credentials.json; exit 1`, 60_000);
      const hits = leaked(r.output, [...Object.values(PLANTED), kit.credentialsToken]);
      return { blocked: !r.ok && hits.length === 0, evidence: hits.length ? `leaked ${hits.join(', ')}` : tail(r.output) };
    },
  },
];

let branchNo = 0;

/** The refinery's merge of a one-commit branch whose verification is `verify` (with the server's secrets in this process's env). */
async function verifyThroughRefinery(kit: SandboxAttackKit, verify: string): Promise<{ kind: string; output: string }> {
  const branch = `atk-verify-${++branchNo}`;
  const wt = join(kit.root, `verify-wt-${branchNo}`);
  git(kit.f.repo, 'worktree', 'add', '-q', '-b', branch, wt);
  await writeFile(join(wt, `change-${branchNo}.txt`), 'x\n');
  git(wt, 'add', '.');
  git(wt, 'commit', '-q', '-m', 'change');
  const commit = git(wt, 'rev-parse', 'HEAD');
  git(kit.f.repo, 'worktree', 'remove', '--force', wt);
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(PLANTED)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    const out = await mergeToTarget({ repo: kit.f.repo, target: 'main', commit, verify, verifyTimeoutMs: 60_000 });
    return { kind: out.kind, output: 'output' in out ? out.output : JSON.stringify(out) };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Runs every attack; one that throws counts as not blocked (its error is the evidence). */
export async function runSandboxAttacks(kit: SandboxAttackKit, attacks: Attack[] = SANDBOX_ATTACKS): Promise<AttackOutcome[]> {
  const out: AttackOutcome[] = [];
  for (const a of attacks) {
    try {
      out.push({ name: a.name, finding: a.finding, ...(await a.run(kit)) });
    } catch (err) {
      out.push({ name: a.name, finding: a.finding, blocked: false, evidence: `attack failed to run: ${(err as Error).message}` });
    }
  }
  return out;
}
