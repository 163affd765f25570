import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { ProblemFilter } from './problem.filter';

/** Runs the filter on `err` against a recording response; answers status, headers and body. */
function answer(err: unknown): { status: number; headers: Record<string, string>; body: { code: string; status: number; retryable: boolean; detail: string } } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    setHeader: (k: string, v: string) => void (out.headers[k] = v),
    status: (s: number) => ((out.status = s), { type: () => ({ send: (b: unknown) => void (out.body = b) }) }),
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new ProblemFilter().catch(err, host);
  return out as ReturnType<typeof answer>;
}

describe('ProblemFilter', () => {
  it('a refused or reset Redis/PostgreSQL socket is 503 storage.unavailable with Retry-After, without the internal address', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:44617'), { code: 'ECONNREFUSED', errno: -111 });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const pgEnded = new Error('Connection terminated unexpectedly');
    const closed = new Error('Connection is closed.');
    for (const err of [refused, reset, pgEnded, closed]) {
      const a = answer(err);
      expect({ status: a.status, code: a.body.code, retryable: a.body.retryable, retryAfter: a.headers['Retry-After'] }).toEqual({ status: 503, code: 'storage.unavailable', retryable: true, retryAfter: '1' });
      expect(a.body.detail).not.toContain('127.0.0.1');
    }
  });

  it('domain codes keep their status; an unknown failure stays 500 internal', () => {
    expect(answer(Object.assign(new Error('no such team'), { code: 'resource.not_found' })).status).toBe(404);
    // A domain error whose message mentions a socket is still that domain error.
    expect(answer(Object.assign(new Error('socket of the agent closed'), { code: 'agent.invalid_state' })).body.code).toBe('agent.invalid_state');
    expect(answer(new NotFoundException()).body.code).toBe('route.not_found');
    const plain = answer(new Error('boom'));
    expect({ status: plain.status, code: plain.body.code, retryable: plain.body.retryable }).toEqual({ status: 500, code: 'internal', retryable: false });
  });
});
