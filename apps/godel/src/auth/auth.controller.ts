import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { ApiKeyInfo, Principal, StoredAuditEntry } from '@godel/auth';
import { AuditQuerySchema, KeyCreateSchema, KeysQuerySchema, RefreshSchema, TokenSchema } from '../http/request-schemas';
import { BodySchema, QuerySchema, parseBody, parseQuery } from '../http/schema';
import { InvalidRequest } from '../http/validate';
import { Public, Roles } from '../http/access.decorators';
import { AuthService, type TokenPair } from './auth.service';
import type { AuthedRequest } from '../http/request-context';

/**
 * The client's address for the per-address limit of the public token routes: the socket's peer
 * (forwarding headers are not trusted: anyone could send them). Behind a proxy every client shares
 * the proxy's bucket, so raise GODEL_AUTH_RATE_LIMIT_* there.
 */
function clientAddress(req: AuthedRequest): string {
  return `ip:${req.socket?.remoteAddress ?? req.ip ?? 'unknown'}`;
}

/** Tokens for API keys, refresh rotation, and key management (admin). */
@Controller('api/v1/auth')
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  /** API key → short-lived access token (JWT) + rotating refresh token. Rate-limited per client address. */
  @Post('token')
  @Public()
  @HttpCode(200)
  @BodySchema(TokenSchema)
  async token(@Body() body: unknown, @Req() req: AuthedRequest): Promise<TokenPair> {
    await this.auth.loginLimiter.take(clientAddress(req));
    const pair = await this.auth.login(parseBody(TokenSchema, body).key);
    req.principal = pair.key;
    return pair;
  }

  /** Spends a refresh token for the next pair; a reused one revokes its whole family. */
  @Post('refresh')
  @Public()
  @HttpCode(200)
  @BodySchema(RefreshSchema)
  async refresh(@Body() body: unknown, @Req() req: AuthedRequest): Promise<TokenPair> {
    await this.auth.loginLimiter.take(clientAddress(req));
    const pair = await this.auth.rotate(parseBody(RefreshSchema, body).refreshToken);
    req.principal = pair.key;
    return pair;
  }

  @Get('whoami')
  @Roles('viewer')
  whoami(@Req() req: AuthedRequest): Principal {
    return req.principal!;
  }

  @Post('keys')
  @Roles('admin')
  @HttpCode(201)
  @BodySchema(KeyCreateSchema)
  createKey(@Body() body: unknown, @Req() req: AuthedRequest): Promise<ApiKeyInfo & { key: string }> {
    const { name, role } = parseBody(KeyCreateSchema, body);
    return this.auth.keys.create({ name, role, createdBy: req.principal!.keyId });
  }

  @Get('keys')
  @Roles('admin')
  @QuerySchema(KeysQuerySchema)
  async listKeys(@Query() q: unknown): Promise<{ items: ApiKeyInfo[] }> {
    const { all } = parseQuery(KeysQuerySchema, q);
    return { items: await this.auth.keys.list({ includeRevoked: all === 'true' }) };
  }

  /** Revokes a key: its tokens stop working on every instance within a second; its refresh families die. */
  @Delete('keys/:id')
  @Roles('admin')
  async revokeKey(@Param('id') id: string): Promise<ApiKeyInfo> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new InvalidRequest('id must be 1-64 chars of [A-Za-z0-9_-]');
    const revoked = await this.auth.keys.revoke(id);
    await this.auth.revocations.announce(id);
    return revoked;
  }

  @Get('audit')
  @Roles('admin')
  @QuerySchema(AuditQuerySchema)
  async audit(@Query() q: unknown): Promise<{ items: StoredAuditEntry[] }> {
    const { limit, requestId } = parseQuery(AuditQuerySchema, q);
    return { items: await this.auth.audit.list({ limit: limit!, requestId }) };
  }
}
