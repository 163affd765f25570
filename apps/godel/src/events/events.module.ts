import { Module } from '@nestjs/common';
import { EventLog } from '@godel/persistence';
import { AuthModule } from '../auth/auth.module';
import { EventsController } from './events.controller';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RuntimeModule } from '../runtime/runtime.module';
import { StoreModule } from '../store/store.module';
import { RUNTIME } from '../tokens';
import { EventStream } from './event-stream';

/** The event log's API: pages and live SSE (one shared reader per instance, woken over Redis). */
@Module({
  imports: [RuntimeModule, StoreModule, AuthModule],
  controllers: [EventsController],
  providers: [
    {
      provide: EventStream,
      inject: [EventLog, RUNTIME],
      useFactory: (events: EventLog, rt: BuiltRuntime) => new EventStream(events, rt.redis, `${rt.keys.prefix}:events`),
    },
  ],
  exports: [EventStream],
})
export class EventsModule {}
