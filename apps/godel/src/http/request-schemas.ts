import { Type, type Static } from '@sinclair/typebox';
import { BudgetSchema, INTENT_LIMITS, IntentBodySchema } from '@godel/orchestration';
import { NAME } from './validate';

/**
 * Every request body and query of the API, once (see schema.ts): what the controllers check and
 * what the OpenAPI document shows. Intent limits come from libs/orchestration (`INTENT_LIMITS`),
 * which `prepareIntent` checks too.
 */

const text = (maxLength: number, description?: string) => Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const oneOf = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** Team, agent and task names. */
export const NameSchema = Type.String({ pattern: NAME.source });

export { IntentBodySchema };

export const TeamCancelSchema = Type.Object({ reason: Type.Optional(text(500)) }, { additionalProperties: false });

export const WorkflowValidateSchema = Type.Object({ yaml: text(INTENT_LIMITS.workflowYamlChars), file: Type.Optional(text(200)) }, { additionalProperties: false });

export const TEAM_STATUSES = ['planning', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const TASK_STATUSES = ['pending', 'ready', 'running', 'in_review', 'merging', 'done', 'failed', 'cancelled'] as const;

export const TeamsQuerySchema = Type.Object({
  status: Type.Optional(oneOf(TEAM_STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const TasksQuerySchema = Type.Object({ team: Type.Optional(NameSchema), status: Type.Optional(oneOf(TASK_STATUSES)) });

export const AgentStartSchema = Type.Object(
  {
    team: NameSchema,
    name: NameSchema,
    repo: text(INTENT_LIMITS.repoChars, 'path of a git repository under GODEL_REPO_ROOTS (operators: a registered one)'),
    prompt: Type.Optional(text(100_000)),
    baseRef: Type.Optional(text(256)),
    role: Type.Optional(text(64)),
    tier: Type.Optional(oneOf(['strong', 'cheap'] as const)),
    budget: Type.Optional(BudgetSchema),
    teamBudget: Type.Optional(BudgetSchema),
  },
  { additionalProperties: false },
);
export type AgentStartBody = Static<typeof AgentStartSchema>;

export const AGENT_ACTIONS = ['prompt', 'steer', 'abort', 'stop', 'restart', 'fork'] as const;

export const AgentActionSchema = Type.Object(
  {
    text: Type.Optional(text(100_000)),
    reason: Type.Optional(text(500)),
    name: Type.Optional(NameSchema),
    entry: Type.Optional(text(200, 'session entry id to fork at (default: the end)')),
  },
  { additionalProperties: false, description: 'prompt/steer: {text}; abort/stop: {reason?}; fork: {name, entry?}' },
);

export const AgentsQuerySchema = Type.Object({ team: Type.Optional(NameSchema) });

export const AgentEventsQuerySchema = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
});

export const SendSchema = Type.Object(
  {
    type: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }),
    payload: Type.Optional(Type.Unknown({ description: 'any JSON value (bounded by GODEL_MAX_MESSAGE_BYTES)' })),
    ask: Type.Optional(Type.Boolean({ description: 'wait for the reply (after the state committed)' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60000 })),
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{8,128}$', description: 'client message id of a tell: a retry with the same id (after a 503 or a lost response) is appended once' })),
  },
  { additionalProperties: false },
);

export const DeadLettersQuerySchema = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })) });

export const RepoRegisterSchema = Type.Object(
  {
    path: text(INTENT_LIMITS.repoChars, 'absolute path of a git repository under GODEL_REPO_ROOTS'),
    verify: Type.Optional(text(INTENT_LIMITS.verifyChars, 'the verification command the refinery runs on merges')),
    maintenance: Type.Optional(Type.Boolean({ description: 'autonomic maintenance: a team forms when the target turns red (needs verify)' })),
  },
  { additionalProperties: false },
);

export const RepoRemoveQuerySchema = Type.Object({ path: text(INTENT_LIMITS.repoChars) });

export const NoQuerySchema = Type.Object({});

export const TokenSchema = Type.Object({ key: text(512) }, { additionalProperties: false });
export const RefreshSchema = Type.Object({ refreshToken: text(512) }, { additionalProperties: false });
export const KeyCreateSchema = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$' }), role: oneOf(['admin', 'operator', 'viewer'] as const) }, { additionalProperties: false });
export const KeysQuerySchema = Type.Object({ all: Type.Optional(oneOf(['true', 'false'] as const)) });
export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  requestId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' })),
});
