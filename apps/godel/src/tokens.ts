export const RUNTIME = Symbol('GODEL_RUNTIME');
export const GODEL_CONFIG = Symbol('GODEL_CONFIG');
export const DATA_SOURCE = Symbol('GODEL_DATA_SOURCE');
/** The OS sandbox (libs/sandbox) shared by agents, the refinery and maintenance. */
export const SANDBOX = Symbol('GODEL_SANDBOX');
/** One actor kind each (counter, agent, team): registered on the runtime before it starts (see GodelLifecycle). */
export const COUNTER_KIND = Symbol('GODEL_COUNTER_KIND');
export const AGENT_KIND = Symbol('GODEL_AGENT_KIND');
export const TEAM_KIND = Symbol('GODEL_TEAM_KIND');
