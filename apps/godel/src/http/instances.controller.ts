import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RUNTIME } from '../runtime/runtime.tokens';
import { Roles } from '../auth/access.decorators';

export interface InstanceView {
  instance: string;
  /** Heartbeating now (in the membership set); false for a lease holder whose heartbeat expired. */
  live: boolean;
  /** The instance answering this request. */
  self: boolean;
  shards: number[];
}

export interface InstancesView {
  shardCount: number;
  items: InstanceView[];
  /** Shards whose lease nobody holds right now (between an owner's death and a takeover). */
  unowned: number[];
}

/** The live members of the cluster and the shards each one holds, read from Redis (any instance answers the same). */
@ApiTags('runtime')
@Controller('api/v1')
export class InstancesController {
  constructor(@Inject(RUNTIME) private readonly runtime: BuiltRuntime) {}

  @Roles('viewer')
  @Get('instances')
  @ApiOperation({ summary: 'Live cluster members with the shards each owns (leases)' })
  async list(): Promise<InstancesView> {
    const shardCount = this.runtime.system.shardCount;
    const [members, holders] = await Promise.all([
      this.runtime.membership.liveMembers(),
      Promise.all(Array.from({ length: shardCount }, (_, s) => this.runtime.leases.holder(s))),
    ]);
    const self = this.runtime.system.instanceId;
    const byInstance = new Map<string, InstanceView>(members.map((m) => [m, { instance: m, live: true, self: m === self, shards: [] }]));
    const unowned: number[] = [];
    holders.forEach((h, shard) => {
      if (!h) return void unowned.push(shard);
      let view = byInstance.get(h.owner);
      if (!view) byInstance.set(h.owner, (view = { instance: h.owner, live: false, self: h.owner === self, shards: [] }));
      view.shards.push(shard);
    });
    const items = [...byInstance.values()].sort((a, b) => a.instance.localeCompare(b.instance));
    return { shardCount, items, unowned };
  }
}
