import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokens } from '@godel/auth';
import { Public, QueryToken, Roles } from '../http/access.decorators';
import { AuthGuard } from './auth.guard';
import type { AuthService } from './auth.service';
import type { AuthedRequest } from '../http/request-context';

class Undecorated {
  handler(): void {}
}
class Decorated {
  @Public()
  open(): void {}
  @Roles('operator')
  mutate(): void {}
}
class Stream {
  @Roles('viewer')
  @QueryToken()
  stream(): void {}
  @Roles('viewer')
  list(): void {}
}
@Roles('admin')
class AdminByClass {
  anything(): void {}
}

function context(cls: new () => object, method: string, req: Partial<AuthedRequest>): ExecutionContext {
  const request = { method: 'GET', originalUrl: '/x', headers: {}, ...req };
  return {
    getClass: () => cls,
    getHandler: () => (cls.prototype as Record<string, unknown>)[method],
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

/**
 * The guard's decisions with a real AccessTokens; the rest of AuthService (PostgreSQL, Redis) is a
 * stub here because these cases never reach it — the integration test covers the real thing.
 */
describe('AuthGuard', () => {
  const access = new AccessTokens('s'.repeat(40), 60);
  const taken: string[] = [];
  const auth = {
    verify: (t: string) => access.verify(t),
    verifyWithExpiry: (t: string) => access.verifyWithExpiry(t),
    limiter: { take: async (k: string) => void taken.push(k) },
  } as unknown as AuthService;
  const guard = new AuthGuard(new Reflector(), auth);

  it('fails closed: a route with neither @Public nor @Roles is refused, even with an admin token', async () => {
    const { token } = await access.issue({ keyId: 'k', name: 'n', role: 'admin' });
    await expect(guard.canActivate(context(Undecorated, 'handler', { headers: { authorization: `Bearer ${token}` } }))).rejects.toMatchObject({ code: 'auth.forbidden' });
  });

  it('lets @Public through without a token; needs a token and the role elsewhere; class-level roles apply', async () => {
    await expect(guard.canActivate(context(Decorated, 'open', {}))).resolves.toBe(true);
    await expect(guard.canActivate(context(Decorated, 'mutate', {}))).rejects.toMatchObject({ code: 'auth.missing' });
    const viewer = (await access.issue({ keyId: 'v', name: 'v', role: 'viewer' })).token;
    const operator = (await access.issue({ keyId: 'o', name: 'o', role: 'operator' })).token;
    await expect(guard.canActivate(context(Decorated, 'mutate', { headers: { authorization: `Bearer ${viewer}` } }))).rejects.toMatchObject({ code: 'auth.forbidden' });
    await expect(guard.canActivate(context(Decorated, 'mutate', { headers: { authorization: `Bearer ${operator}` } }))).resolves.toBe(true);
    await expect(guard.canActivate(context(AdminByClass, 'anything', { headers: { authorization: `Bearer ${operator}` } }))).rejects.toMatchObject({ code: 'auth.forbidden' });
    // only the allowed call spent rate-limit budget
    expect(taken).toEqual(['o']);
  });

  it('takes ?access_token= only on a @QueryToken route (the SSE stream), never elsewhere, and still checks it', async () => {
    const viewer = (await access.issue({ keyId: 'qv', name: 'qv', role: 'viewer' })).token;
    await expect(guard.canActivate(context(Stream, 'stream', { query: { access_token: viewer } }))).resolves.toBe(true);
    // the same token in the query of any other route is ignored: no token
    await expect(guard.canActivate(context(Stream, 'list', { query: { access_token: viewer } }))).rejects.toMatchObject({ code: 'auth.missing' });
    await expect(guard.canActivate(context(Decorated, 'mutate', { query: { access_token: viewer } }))).rejects.toMatchObject({ code: 'auth.missing' });
    // a forged or doubled token is refused; no token at all is still missing
    await expect(guard.canActivate(context(Stream, 'stream', { query: { access_token: `${viewer.slice(0, -4)}AAAA` } }))).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(guard.canActivate(context(Stream, 'stream', { query: { access_token: [viewer, viewer] } }))).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(guard.canActivate(context(Stream, 'stream', {}))).rejects.toMatchObject({ code: 'auth.missing' });
    // the role still applies to a query token
    class AdminStream {
      @Roles('admin')
      @QueryToken()
      stream(): void {}
    }
    await expect(guard.canActivate(context(AdminStream, 'stream', { query: { access_token: viewer } }))).rejects.toMatchObject({ code: 'auth.forbidden' });
  });
});
