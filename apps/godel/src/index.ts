// The server's public entry for other apps, tests and benches: the actor runtime wired to Redis and
// PostgreSQL without Nest (the CLI's failover demo, runtime tests, benchmarks). Import from here,
// never from apps/godel/src/runtime/* (lint-enforced).
export { buildRuntime, newInstanceId } from './runtime/build-runtime';
export type { BuildRuntimeOptions, BuiltRuntime } from './runtime/build-runtime';
