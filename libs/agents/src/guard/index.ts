export { guardLaunchOptions, withPathGuard, GUARD_EXTENSION_FILE } from './guard-launch';
export type { GuardOptions, GuardLaunch } from './guard-launch';
export { readGuardDenials, guardDenialFromEvent, isGuardDenial } from './guard-denials';
export { GUARD_ENV, GUARD_DENIED, GUARD_REASON_PREFIX, GUARD_NOTIFY_PREFIX } from './guard-protocol';
export type { GuardDenial, GuardFinding, GuardRule } from './guard-protocol';
export { ToolCallPolicy } from './tool-call-policy';
export type { ToolCallPolicyOptions, GuardVerdict } from './tool-call-policy';
