/**
 * What the event log stores: PII and secrets in event data are redacted on append, and a string
 * PostgreSQL's jsonb refuses (\u0000) neither fails its batch nor the events batched with it.
 * Real: PostgreSQL (random schema). Mocked: nothing.
 */
import { useEventLog } from './event-log-kit';

describe('EventLog append: redaction and hostile strings (real PostgreSQL)', () => {
  const kit = useEventLog();

  it('stores emails, keys, tokens and card numbers redacted, everything else as given', async () => {
    const [a, b, c] = await Promise.all([
      kit.log.append({ type: 'agent.tool_started', team: 'red', data: { args: { command: 'curl -H "Authorization: Bearer abcdefghijklmnop" https://x' }, author: 'dev@example.com', n: 7 } }),
      kit.log.append({ type: 'agent.message', team: 'red', data: { text: 'use sk-proj-abcdefghijklmnopqrstuvwxyz and card 4111-1111-1111-1111', list: ['ghp_0123456789abcdefghijABCDEFGHIJklmnop', 'plain'] } }),
      kit.log.append({ type: 'agent.message', team: 'red', data: { text: 'nul \u0000 inside', ok: true } }),
    ]);
    const items = await kit.log.list({ team: 'red' });
    expect(items.map((e) => e.seq)).toEqual([a, b, c]);
    expect(items[0].data).toEqual({ args: { command: 'curl -H "Authorization: Bearer [redacted:bearer]" https://x' }, author: '[redacted:email]', n: 7 });
    expect(items[1].data).toEqual({ text: 'use [redacted:api_key] and card [redacted:card]', list: ['[redacted:api_key]', 'plain'] });
    expect(items[2].data).toEqual({ text: 'nul \ufffd inside', ok: true });
    const raw = JSON.stringify(items);
    for (const secret of ['dev@example.com', 'abcdefghijklmnop', 'sk-proj', '4111-1111', 'ghp_']) expect(raw).not.toContain(secret);
  }, 15_000);
});
