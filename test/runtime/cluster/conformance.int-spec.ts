/**
 * The runtime conformance suites (leases, mailboxes, fencing, the actor system on one instance) on a
 * real Redis Cluster: 3 masters + 3 replicas from `redis-server` (scripts/redis-cluster.sh, started
 * here when it is not up). Mocked: nothing.
 */
import { actorSystemConformance } from '../conformance/actor-system.suite';
import { leaseMailboxConformance } from '../conformance/lease-mailbox.suite';
import { createClusterEnv } from './cluster-env';

leaseMailboxConformance('Redis Cluster', createClusterEnv);
actorSystemConformance('Redis Cluster', createClusterEnv);
