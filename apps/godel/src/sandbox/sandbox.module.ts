import { Logger, Module } from '@nestjs/common';
import type { GodelConfig } from '@godel/config';
import { Sandbox } from '@godel/sandbox';
import { GODEL_CONFIG, SANDBOX } from '../tokens';

/** The OS sandbox (libs/sandbox, GODEL_SANDBOX) of every agent process, verification and maintenance check. */
@Module({
  providers: [
    {
      provide: SANDBOX,
      inject: [GODEL_CONFIG],
      useFactory: (config: GodelConfig) => {
        const log = new Logger('sandbox');
        return new Sandbox({ mode: config.sandbox, nice: config.sandboxNice, onWarn: (message) => log.warn(JSON.stringify({ event: 'sandbox.off', message })) });
      },
    },
  ],
  exports: [SANDBOX],
})
export class SandboxModule {}
