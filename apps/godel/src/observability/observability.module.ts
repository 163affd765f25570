import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module';
import { HttpObserverMiddleware } from './http-observer.middleware';

/** Request ids, the HTTP span and the HTTP latency histogram for every route (imported first by AppModule). */
@Module({ imports: [RuntimeModule], providers: [HttpObserverMiddleware] })
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpObserverMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
