import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { HttpObserverMiddleware } from './http-observer.middleware';

/** Request ids, the HTTP span and the HTTP latency histogram for every route (imported first by AppModule). */
@Module({ imports: [MetricsModule], providers: [HttpObserverMiddleware] })
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpObserverMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
