/** Failover across real Godel processes, single Redis (the suite: conformance/failover.suite.ts; on a cluster: cluster/). */
import { createTestEnv } from '@godel/testing';
import { failoverConformance } from './conformance/failover.suite';

failoverConformance('one Redis', (runtime) => createTestEnv(runtime));
