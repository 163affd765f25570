/** Leases, mailboxes and fencing on the single Redis (the suite: conformance/lease-mailbox.suite.ts; on a cluster: cluster/). */
import { createTestEnv } from '@godel/testing';
import { leaseMailboxConformance } from './conformance/lease-mailbox.suite';

leaseMailboxConformance('one Redis', (runtime) => createTestEnv(runtime));
leaseMailboxConformance('one Redis, commands of a turn pipelined', (runtime) => createTestEnv(runtime), { pipeline: true });
