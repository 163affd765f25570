export const RUNTIME = Symbol('GODEL_RUNTIME');
export const GODEL_CONFIG = Symbol('GODEL_CONFIG');
export const DATA_SOURCE = Symbol('GODEL_DATA_SOURCE');
export const ACTOR_DEFINITIONS = Symbol('GODEL_ACTOR_DEFINITIONS');
/** Late-bound reference to the runtime: agent processes report back through it. */
export const RUNTIME_REF = Symbol('GODEL_RUNTIME_REF');
/** The OS sandbox (libs/sandbox) shared by agents, the refinery and maintenance. */
export const SANDBOX = Symbol('GODEL_SANDBOX');
