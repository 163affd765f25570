import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { isGitRepo } from '@godel/orchestration';
import type { RegisteredRepo } from '@godel/persistence';
import { Roles } from '../auth/access.decorators';
import type { AuthedRequest } from '../auth/request-context';
import { RepoAccess } from './repo-access';
import { InvalidRequest, NotFound, obj, query, str } from './validate';

const REGISTER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 4096, description: 'absolute path of a git repository under GODEL_REPO_ROOTS' },
    verify: { type: 'string', minLength: 1, maxLength: 2000, description: 'the verification command the refinery runs on merges' },
    maintenance: { type: 'boolean', description: 'autonomic maintenance: a team forms when the target turns red (needs verify)' },
  },
};

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
  @ApiBody({ schema: REGISTER_SCHEMA })
  async register(@Body() body: unknown, @Req() req: AuthedRequest): Promise<RegisteredRepo> {
    const b = obj(body, ['path', 'verify', 'maintenance']);
    const verify = str(b, 'verify', { max: 2000 });
    if (verify !== undefined && verify.trim() === '') throw new InvalidRequest('verify must not be blank');
    if (b.maintenance !== undefined && typeof b.maintenance !== 'boolean') throw new InvalidRequest('maintenance must be a boolean');
    if (b.maintenance === true && verify === undefined) throw new InvalidRequest('maintenance needs a verify command');
    const path = await this.access.resolve(str(b, 'path', { required: true, max: 4096 })!);
    if (!(await isGitRepo(path))) throw new InvalidRequest(`${path} is not a git repository`);
    return this.access.registry.register({ path, verify: verify ?? null, maintenance: b.maintenance === true, registeredBy: req.principal?.keyId ?? null });
  }

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'Registered repositories and their settings' })
  async list(@Query() q: unknown): Promise<{ items: RegisteredRepo[] }> {
    query(q, []);
    return { items: await this.access.registry.list() };
  }

  @Delete()
  @Roles('admin')
  @ApiOperation({ summary: 'Unregister a repository (admin); teams already at work are not stopped' })
  @ApiQuery({ name: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 4096 } })
  async remove(@Query() q: unknown): Promise<{ path: string; removed: true }> {
    const { path } = query(q, ['path']);
    if (path === undefined || path.length === 0 || path.length > 4096) throw new InvalidRequest('path is required: 1-4096 chars');
    // Registered paths are real paths: the caller may name it through a link, or it may be gone.
    const real = await this.access.resolve(path).catch(() => path);
    if (!(await this.access.registry.remove(real))) throw new NotFound(`${path} is not registered`);
    return { path: real, removed: true };
  }
}
