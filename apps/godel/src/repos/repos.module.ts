import { Module } from '@nestjs/common';
import { loadGitRemoteConfig, type GodelConfig } from '@godel/config';
import { RepoMirrors } from '@godel/workspace';
import { RepoRegistry } from '@godel/persistence';
import { RepoAccess } from './repo-access';
import { ReposController } from './repos.controller';
import { StoreModule } from '../store/store.module';
import { GODEL_CONFIG } from '../tokens';
import { MirrorRetention } from './mirror-retention';

/** Registered repositories and who may work where (`RepoAccess`, used by the agents and teams APIs). */
@Module({
  imports: [StoreModule],
  controllers: [ReposController],
  providers: [
    // Issue 12: this instance's mirrors of repository URLs, under its own home; the git credentials stay in them.
    { provide: RepoMirrors, inject: [GODEL_CONFIG], useFactory: (c: GodelConfig) => new RepoMirrors({ home: c.homeDir, credentials: loadGitRemoteConfig() }) },
    { provide: MirrorRetention, inject: [RepoMirrors, GODEL_CONFIG], useFactory: (m: RepoMirrors, c: GodelConfig) => new MirrorRetention(m, { ttlDays: c.cleanup.mirrorTtlDays, everyMs: c.cleanup.everyMs }) },
    { provide: RepoAccess, inject: [GODEL_CONFIG, RepoRegistry, RepoMirrors], useFactory: (c: GodelConfig, r: RepoRegistry, m: RepoMirrors) => new RepoAccess(c.repoRoots, r, m) },
  ],
  exports: [RepoAccess, RepoMirrors],
})
export class ReposModule {}
