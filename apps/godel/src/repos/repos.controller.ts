import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { isGitRepo } from '@godel/orchestration';
import { looksLikeUrl } from '@godel/workspace';
import type { RegisteredRepo } from '@godel/persistence';
import { Roles } from '../http/access.decorators';
import type { AuthedRequest } from '../http/request-context';
import { RepoAccess } from './repo-access';
import { NoQuerySchema, RepoRegisterSchema, RepoRemoveQuerySchema } from '../http/request-schemas';
import { BodySchema, QuerySchema, parseBody, parseQuery } from '../http/schema';
import { InvalidRequest, NotFound } from '../http/validate';

/**
 * Registered repositories: the only ones operators may start work on, with the verification and
 * maintenance an admin chose (a repository's own `.godel.yaml` cannot switch maintenance on).
 */
@ApiTags('repos')
@Controller('api/v1/repos')
export class ReposController {
  constructor(private readonly access: RepoAccess) {}

  @Post()
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a repository (or replace its settings): its verify command and maintenance opt-in (admin)' })
  @BodySchema(RepoRegisterSchema)
  async register(@Body() body: unknown, @Req() req: AuthedRequest): Promise<RegisteredRepo> {
    const b = parseBody(RepoRegisterSchema, body);
    const verify = b.verify;
    if (verify !== undefined && verify.trim() === '') throw new InvalidRequest('verify must not be blank');
    if (b.maintenance === true && verify === undefined) throw new InvalidRequest('maintenance needs a verify command');
    const path = await this.access.resolve(b.path);
    if (looksLikeUrl(path)) await this.access.checkRemote(path); // issue 12: reachable with the server's credentials
    else if (!(await isGitRepo(path))) throw new InvalidRequest(`${path} is not a git repository`);
    return this.access.registry.register({ path, verify: verify ?? null, maintenance: b.maintenance === true, registeredBy: req.principal?.keyId ?? null });
  }

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'Registered repositories and their settings' })
  async list(@Query() q: unknown): Promise<{ items: RegisteredRepo[] }> {
    parseQuery(NoQuerySchema, q);
    return { items: await this.access.registry.list() };
  }

  @Delete()
  @Roles('admin')
  @ApiOperation({ summary: 'Unregister a repository (admin); teams already at work are not stopped' })
  @QuerySchema(RepoRemoveQuerySchema)
  async remove(@Query() q: unknown): Promise<{ path: string; removed: true }> {
    const { path } = parseQuery(RepoRemoveQuerySchema, q);
    // Registered paths are real paths: the caller may name it through a link, or it may be gone.
    const real = await this.access.resolve(path).catch(() => path);
    if (!(await this.access.registry.remove(real))) throw new NotFound(`${path} is not registered`);
    return { path: real, removed: true };
  }
}
