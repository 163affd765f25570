import type { AgentStateProjection, Projects } from '@godel/persistence';
import type { AgentState } from './agent-state';

/**
 * AgentQueries (libs/persistence) reads agent state in SQL by field name: `AgentState` must keep
 * the fields of `AgentStateProjection`. Renaming one fails the typecheck here.
 */
export type AgentStateContract = Projects<AgentState, AgentStateProjection>;
