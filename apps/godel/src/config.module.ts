import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { GodelConfig } from '@godel/config';
import { GODEL_CONFIG } from './tokens';

/** Provides the GodelConfig resolved once at startup (libs/config is the only env reader). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: GodelConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: GODEL_CONFIG, useValue: config }], exports: [GODEL_CONFIG] };
  }
}
