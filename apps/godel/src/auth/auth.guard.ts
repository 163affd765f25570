import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthForbiddenError, AuthInvalidError, AuthMissingError, roleAtLeast } from '@godel/auth';
import { acceptsQueryToken, routeAccess } from '../http/access.decorators';
import { AuthService } from './auth.service';
import type { AuthedRequest } from '../http/request-context';

/**
 * The global guard. Fails closed: a route with neither @Public() nor @Roles() is refused, so a new
 * route cannot be exposed by forgetting a decorator. Order: declared access → token → role → rate
 * limit (a refused role does not spend the key's budget). Only a handler marked @QueryToken() (the
 * SSE stream) also reads `?access_token=`, and only when no Authorization header was sent.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const params = Object.values(req.params ?? {});
    req.auditRoute = { route: req.route?.path ?? null, target: params.length > 0 ? params.join('/') : null };
    const access = routeAccess(this.reflector, ctx.getHandler(), ctx.getClass());
    if (!access) throw new AuthForbiddenError('this route declares no role (@Roles) and is not @Public: refused');
    if (access.public) return true;
    const { principal, expiresAt } = await this.auth.verifyWithExpiry(this.token(req, acceptsQueryToken(this.reflector, ctx.getHandler())));
    req.principal = principal;
    req.tokenExpiresAt = expiresAt;
    if (!roleAtLeast(principal.role, access.role)) {
      throw new AuthForbiddenError(`this route needs role ${access.role} or stronger; key "${principal.name}" has ${principal.role}`, { need: access.role, have: principal.role });
    }
    await this.auth.limiter.take(principal.keyId);
    return true;
  }

  private token(req: AuthedRequest, queryAllowed: boolean): string {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || header.trim() === '') {
      const q = req.query?.access_token;
      if (queryAllowed && q !== undefined) {
        if (typeof q !== 'string' || !/^\S{1,4096}$/.test(q)) throw new AuthInvalidError('access_token must be one access token');
        return q;
      }
      throw new AuthMissingError('send `Authorization: Bearer <access token>`; get one with POST /api/v1/auth/token {"key": "<API key>"}');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new AuthInvalidError('Authorization must be `Bearer <access token>`');
    return m[1];
  }
}
