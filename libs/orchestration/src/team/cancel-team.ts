import { teamAddress } from './team-actor';
import type { TeamState } from './team-state';

/**
 * Cancels a team and answers its state once it has ended. The cancel's own turn may leave the team
 * `finishing`: the work of its running tasks is committed by effects whose answers come back as
 * messages (a round trip, docs/adr/0010), and only then does it end. Its state is read again until
 * then, within `timeoutMs` (past it, the last state read is the answer).
 */
export async function cancelTeam(
  ask: (to: string, type: string, payload: unknown, timeoutMs: number) => Promise<unknown>,
  team: string,
  reason: string | undefined,
  timeoutMs = 60_000,
): Promise<TeamState> {
  const end = Date.now() + timeoutMs;
  let s = (await ask(teamAddress(team), 'team.cancel', reason === undefined ? {} : { reason }, timeoutMs)) as TeamState;
  while (s.finishing && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    s = (await ask(teamAddress(team), 'get', {}, Math.max(1000, end - Date.now()))) as TeamState;
  }
  return s;
}
