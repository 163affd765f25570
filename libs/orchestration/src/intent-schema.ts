import { Type, type Static } from '@sinclair/typebox';

/**
 * The limits of an intent request, written once: `prepareIntent` checks them (CLI and server), the
 * HTTP intent schema below is built from them, and so is the OpenAPI document.
 */
export const INTENT_LIMITS = {
  intentChars: 20_000,
  repoChars: 4096,
  targetChars: 200,
  verifyChars: 2000,
  workflowChars: 4096,
  workflowYamlChars: 100_000,
  concurrency: { min: 1, max: 16 },
} as const;

/** A positive token/dollar budget (both optional, neither zero). */
export const BudgetSchema = Type.Object(
  {
    tokens: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    costUsd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

const text = (maxLength: number, description?: string) => Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });

/** The fields of an intent any client may send (the server adds its own checks: who may set verify or a workflow file). */
export const IntentFields = {
  intent: text(INTENT_LIMITS.intentChars),
  repo: text(INTENT_LIMITS.repoChars, 'path of a git repository on the server'),
  target: Type.Optional(text(INTENT_LIMITS.targetChars, 'branch to merge into (default main)')),
  verify: Type.Optional(text(INTENT_LIMITS.verifyChars, "admin only: the verification command (default: the registered repository's, then .godel.yaml, then the workflow's)")),
  workflow: Type.Optional(text(INTENT_LIMITS.workflowChars, 'a built-in workflow name, or (admin only) a YAML file on the server')),
  workflowYaml: Type.Optional(text(INTENT_LIMITS.workflowYamlChars)),
  budget: Type.Optional(BudgetSchema),
  concurrency: Type.Optional(Type.Integer({ minimum: INTENT_LIMITS.concurrency.min, maximum: INTENT_LIMITS.concurrency.max })),
  allowRedBase: Type.Optional(Type.Boolean({ description: 'a target whose verification is already red needs no fix task' })),
};

/** `POST /api/v1/intents`: the intent fields and `dryRun` (the plan only, nothing started). */
export const IntentBodySchema = Type.Object({ ...IntentFields, dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export type IntentBody = Static<typeof IntentBodySchema>;
