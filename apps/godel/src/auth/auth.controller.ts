import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { isRole, type ApiKeyInfo, type Principal, type StoredAuditEntry } from '@godel/auth';
import { InvalidRequest, obj, str } from '../http/validate';
import { Public, Roles } from './access.decorators';
import { AuthService, type TokenPair } from './auth.service';
import type { AuthedRequest } from './request-context';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;

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
  async token(@Body() body: unknown, @Req() req: AuthedRequest): Promise<TokenPair> {
    await this.auth.loginLimiter.take(clientAddress(req));
    const b = obj(body, ['key']);
    const pair = await this.auth.login(str(b, 'key', { required: true, max: 512 })!);
    req.principal = pair.key;
    return pair;
  }

  /** Spends a refresh token for the next pair; a reused one revokes its whole family. */
  @Post('refresh')
  @Public()
  @HttpCode(200)
  async refresh(@Body() body: unknown, @Req() req: AuthedRequest): Promise<TokenPair> {
    await this.auth.loginLimiter.take(clientAddress(req));
    const b = obj(body, ['refreshToken']);
    const pair = await this.auth.rotate(str(b, 'refreshToken', { required: true, max: 512 })!);
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
  createKey(@Body() body: unknown, @Req() req: AuthedRequest): Promise<ApiKeyInfo & { key: string }> {
    const b = obj(body, ['name', 'role']);
    const name = str(b, 'name', { required: true, max: 64, pattern: KEY_NAME })!;
    if (!isRole(b.role)) throw new InvalidRequest('role must be admin, operator or viewer');
    return this.auth.keys.create({ name, role: b.role, createdBy: req.principal!.keyId });
  }

  @Get('keys')
  @Roles('admin')
  async listKeys(@Query('all') all?: string): Promise<{ items: ApiKeyInfo[] }> {
    if (all !== undefined && all !== 'true' && all !== 'false') throw new InvalidRequest('all must be true or false');
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
  async audit(@Query('limit') limitRaw?: string, @Query('requestId') requestId?: string): Promise<{ items: StoredAuditEntry[] }> {
    const limit = limitRaw === undefined ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidRequest('limit must be an integer in [1, 1000]');
    if (requestId !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId)) throw new InvalidRequest('requestId: 1-128 chars of [A-Za-z0-9._:-]');
    return { items: await this.auth.audit.list({ limit, requestId }) };
  }
}
