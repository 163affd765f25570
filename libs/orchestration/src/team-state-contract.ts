import type { Projects, TeamStateProjection } from '@godel/persistence';
import type { TeamState } from './team/team-state';

/**
 * AgentQueries (libs/persistence) reads team state in SQL by field name: `TeamState` must keep the
 * fields of `TeamStateProjection`. Renaming one fails the typecheck here.
 */
export type TeamStateContract = Projects<TeamState, TeamStateProjection>;
