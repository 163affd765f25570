import { RedactingLogger } from './redacting-logger';

/** Captures what the logger writes to stdout/stderr. */
function capture(fn: () => void): string {
  const chunks: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  try {
    fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

describe('RedactingLogger', () => {
  it('redacts secrets and PII from JSON log lines, which stay valid JSON', () => {
    const logger = new RedactingLogger({ json: true, colors: false });
    const text = capture(() => {
      logger.log(JSON.stringify({ event: 'login', user: 'ops@example.com', header: 'Bearer abcdefghijklmnop' }), 'auth');
      logger.error('failed for key sk-proj-abcdefghijklmnopqrstuvwxyz', 'billing');
    });
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(text).not.toContain('ops@example.com');
    expect(text).not.toContain('abcdefghijklmnop');
    expect(text).not.toContain('sk-proj-');
    expect(text).toContain('[redacted:email]');
    expect(text).toContain('Bearer [redacted:bearer]');
    expect(text).toContain('[redacted:api_key]');
  });

  it('redacts text-mode lines and leaves ordinary messages as they are', () => {
    const logger = new RedactingLogger({ json: false, colors: false });
    const text = capture(() => {
      logger.warn('card 4111 1111 1111 1111 declined', 'pay');
      logger.log('shard 17 acquired at epoch 3', 'runtime');
    });
    expect(text).toContain('card [redacted:card] declined');
    expect(text).toContain('shard 17 acquired at epoch 3');
  });
});
