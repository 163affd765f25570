/** Event-log test kit: an EventLog over a fresh test env (real PostgreSQL, random schema) for a suite; flushed and cleaned up after it. */
import { EventLog } from '@godel/persistence';
import { createTestEnv, type TestEnv } from '@godel/testing';

/** Registers the suite's beforeAll (30 s: a fresh schema) and afterAll; `log` is there from beforeAll on. */
export function useEventLog(): { readonly log: EventLog } {
  let env: TestEnv | undefined;
  let log: EventLog | undefined;
  beforeAll(async () => {
    env = await createTestEnv();
    log = new EventLog(env.dataSource);
  }, 30_000);
  afterAll(async () => {
    await log?.flush();
    await env?.cleanup();
  });
  return {
    get log() {
      if (!log) throw new Error('the event log is made in beforeAll');
      return log;
    },
  };
}
