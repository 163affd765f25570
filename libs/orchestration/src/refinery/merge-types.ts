import type { Sandbox } from '@godel/sandbox';

export interface MergeRequest {
  repo: string;
  target: string;
  /** The approved commit (the tip of the worker's branch). */
  commit: string;
  verify?: string;
  verifyTimeoutMs: number;
  sharedDirs?: string[];
  /**
   * The failures of the target's own verification before the team started (a red baseline). A red
   * verification whose failures are all among these is not the change's fault: the merge goes on.
   */
  baselineFailures?: string[];
  /** The OS sandbox the verification runs in (default: bubblewrap). */
  sandbox?: Sandbox;
  onStage?: (stage: 'rebased' | 'verify_started' | 'verify_finished', data: Record<string, unknown>) => void;
  /**
   * Publishes the verified, rebased commit instead of moving the local branch: true when the
   * target was still at `tip` and now is at `rebased` (a remote target, pushed fast-forward only).
   */
  publish?: (rebased: string, tip: string) => Promise<boolean>;
}

export type MergeOutcome =
  | { kind: 'merged'; merged: string; previousTip: string; verifyMs: number; alreadyMerged: boolean; commits: number; redAsBaseline?: { failures: string[] } }
  | { kind: 'conflict'; files: string[]; detail: string; tip: string }
  | { kind: 'red'; output: string; code: number | null; timedOut: boolean; verifyMs: number; tip: string; failures: string[] }
  | { kind: 'blocked'; detail: string; moved?: boolean };
