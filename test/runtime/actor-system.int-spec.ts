/** The actor runtime end to end on one instance, single Redis (the suite: conformance/actor-system.suite.ts; on a cluster: cluster/). */
import { createTestEnv } from '@godel/testing';
import { actorSystemConformance } from './conformance/actor-system.suite';

actorSystemConformance('one Redis', (runtime) => createTestEnv(runtime));
