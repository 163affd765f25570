import { GodelError } from '@godel/actors';

/** No member may take a new team (all full, draining or unhealthy): 503 with Retry-After. */
export class FederationFullError extends GodelError {
  readonly code = 'federation.full';
  readonly retryable = true;
}

/** The instance that holds a resource did not answer over instance RPC (gone, paused, overloaded). */
export class InstanceRpcError extends GodelError {
  readonly code = 'federation.rpc_failed';
  readonly retryable = true;
}

/** The instance that holds a resource is gone (its RPC listener left Redis) or did not answer in time: 503 with Retry-After (its shard moves within a lease). */
export class InstanceUnavailableError extends GodelError {
  readonly code = 'federation.instance_unavailable';
  readonly retryable = true;
}
