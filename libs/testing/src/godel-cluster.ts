// The process launcher is product code (`godel demo` runs it): apps/cli/src/cluster/local-cluster.ts.
// Tests keep the name GodelCluster; fault injection (TcpProxy) and the test env come on top of it.
import { LocalCluster, type ClusterMember, type LocalClusterOptions } from '../../../apps/cli/src/cluster/local-cluster';

export type { ClusterMember };
export type GodelClusterOptions = LocalClusterOptions;

/**
 * N real Godel server processes sharing one Redis and one PostgreSQL schema: the multi-instance
 * fixture of failover tests, the chaos harness and benchmarks (see LocalCluster).
 */
export class GodelCluster extends LocalCluster {}
