import type { FederationHooks } from '@godel/actors';

/**
 * The runtime's federation hooks, bound late: the runtime is built before the federation module
 * (which needs the runtime) exists, so the runtime gets this object and the FederationService fills
 * its delegates in at bootstrap. Until then it publishes nothing and hands over like plain rendezvous.
 */
export class FederationBridge implements FederationHooks {
  info?: () => Record<string, unknown>;
  handOverAllowed?: (shard: number) => boolean;
  handOverConfirmed?: (shard: number) => Promise<boolean>;
  handedOver?: (shard: number, to: string) => Promise<void>;
  heartbeatGap?: (gapMs: number) => Promise<void>;

  memberInfo(): Record<string, unknown> {
    return this.info?.() ?? {};
  }

  canHandOver(shard: number): boolean {
    return this.handOverAllowed?.(shard) ?? true;
  }

  async confirmHandOver(shard: number): Promise<boolean> {
    return this.handOverConfirmed ? this.handOverConfirmed(shard) : true;
  }

  async onHandedOver(shard: number, to: string): Promise<void> {
    await this.handedOver?.(shard, to);
  }

  async onHeartbeatGap(gapMs: number): Promise<void> {
    await this.heartbeatGap?.(gapMs);
  }
}
